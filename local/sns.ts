/**
 * An SNS endpoint speaking the awsQuery protocol `@aws-sdk/client-sns` uses
 * (a form-encoded POST, an XML answer), with `Publish` and `PublishBatch`.
 * Every accepted message is delivered asynchronously to each subscribed
 * handler as an `SNSEvent` with one record, as SNS invokes Lambda: concurrently,
 * unordered, at least once. A failed invocation is retried with exponential
 * backoff; what still fails is logged and counted as dropped (in AWS it would
 * go to the subscription's dead-letter queue).
 *
 * SNS faults (faults.ts) act on deliveries: `drop` loses one (never
 * delivered, as a delivery that ended in a dead-letter queue), `duplicate`
 * delivers it twice at once, `delay` waits before the first attempt, and
 * `reorder` holds it until the next delivery has started (at most
 * REORDER_MAX_HOLD_MS), so it lands after a message published later.
 */
import http from 'node:http';
import { FaultInjector } from './faults';
import type { LocalLambda } from './lambda';
import type { Log } from './log';
import type { LocalStats } from './stats';
import { LOCAL_HOST, close, listen, readBody, requestId } from './net';

export interface SnsOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  region?: string;
  /** Attempts per delivery, the first included (default 4). */
  maxDeliveryAttempts?: number;
  /** Delay before the first retry; each next one doubles (default 200 ms). */
  retryBaseDelayMs?: number;
  stats: LocalStats;
  /** Faults to inject into deliveries; none when unset. */
  faults?: FaultInjector;
  log: Log;
}

/** How long a reordered delivery waits for a later one to overtake it. */
export const REORDER_MAX_HOLD_MS = 500;

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS's message size limit, and PublishBatch's limit for all entries together. */
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_BATCH_ENTRIES = 10;

interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

interface Message {
  id: string;
  topicArn: string;
  subject?: string;
  body: string;
  attributes: Record<string, MessageAttribute>;
}

interface Subscription {
  arn: string;
  fn: LocalLambda;
}

/** An awsQuery error: the SDK raises it by `code` (e.g. `NotFound` → `NotFoundException`). */
class QueryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

/** `MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue,Value.BinaryValue}` under `prefix`. */
function readAttributes(form: URLSearchParams, prefix: string): Record<string, MessageAttribute> {
  const attributes: Record<string, MessageAttribute> = {};
  for (let n = 1; form.has(`${prefix}MessageAttributes.entry.${n}.Name`); n += 1) {
    const entry = `${prefix}MessageAttributes.entry.${n}`;
    const name = form.get(`${entry}.Name`)!;
    const dataType = form.get(`${entry}.Value.DataType`);
    if (!dataType)
      throw new QueryError(
        400,
        'InvalidParameterValue',
        `The message attribute '${name}' must contain a non-empty message attribute type.`,
      );
    attributes[name] = {
      DataType: dataType,
      StringValue: form.get(`${entry}.Value.StringValue`) ?? undefined,
      BinaryValue: form.get(`${entry}.Value.BinaryValue`) ?? undefined,
    };
  }
  return attributes;
}

function messageBytes(body: string, attributes: Record<string, MessageAttribute>): number {
  let bytes = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    bytes += Buffer.byteLength(value.StringValue ?? '') + Buffer.from(value.BinaryValue ?? '', 'base64').byteLength;
  }
  return bytes;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The running SNS endpoint. */
export class LocalSns {
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private readonly topics = new Map<string, Subscription[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private boundPort = 0;
  private readonly faults: FaultInjector;
  /** Reordered deliveries waiting for the next one to start. */
  private held: (() => void)[] = [];

  constructor(private readonly options: SnsOptions) {
    this.faults = options.faults ?? new FaultInjector();
    this.server.keepAliveTimeout = 65_000;
  }

  async start(): Promise<number> {
    this.boundPort = await listen(this.server, this.options.port, this.options.host ?? LOCAL_HOST);
    return this.boundPort;
  }

  get url(): string {
    return `http://${this.options.host ?? LOCAL_HOST}:${this.boundPort}`;
  }

  /** Declares a standard topic; publishing to any other ARN answers NotFound. */
  createTopic(topicArn: string): void {
    if (!this.topics.has(topicArn)) this.topics.set(topicArn, []);
  }

  /** Subscribes a function to a topic (protocol `lambda`); returns the subscription ARN. */
  subscribe(topicArn: string, fn: LocalLambda): string {
    this.createTopic(topicArn);
    const arn = `${topicArn}:${crypto.randomUUID()}`;
    this.topics.get(topicArn)!.push({ arn, fn });
    return arn;
  }

  /** Resolves when no delivery is running or waiting for a retry. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops accepting, abandons pending retries, and waits briefly for running deliveries. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.server.closeAllConnections();
    await close(this.server);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reqId = requestId();
    try {
      if (req.method !== 'POST')
        throw new QueryError(400, 'InvalidAction', 'Only POST with a form-encoded body is supported.');
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const action = form.get('Action') ?? '';
      let result: string;
      if (action === 'Publish') result = this.publish(form);
      else if (action === 'PublishBatch') result = this.publishBatch(form);
      else throw new QueryError(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
      res.writeHead(200, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': reqId });
      res.end(
        `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>` +
          `<ResponseMetadata><RequestId>${reqId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (caught) {
      const error =
        caught instanceof QueryError ? caught : new QueryError(500, 'InternalError', 'Internal error', 'Receiver');
      if (!(caught instanceof QueryError)) this.options.log('sns', `request failed: ${String(caught)}`);
      res.writeHead(error.status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': reqId });
      res.end(
        `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${error.type}</Type><Code>${error.code}</Code>` +
          `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${reqId}</RequestId></ErrorResponse>`,
      );
    }
  }

  private subscriptionsOf(form: URLSearchParams): { topicArn: string; subscriptions: Subscription[] } {
    const topicArn = form.get('TopicArn');
    if (!topicArn) throw new QueryError(400, 'InvalidParameter', 'Invalid parameter: TopicArn');
    const subscriptions = this.topics.get(topicArn);
    if (!subscriptions) throw new QueryError(404, 'NotFound', 'Topic does not exist');
    return { topicArn, subscriptions };
  }

  private publish(form: URLSearchParams): string {
    const counters = this.options.stats.counters.sns;
    counters.publish.calls += 1;
    const { topicArn, subscriptions } = this.subscriptionsOf(form);
    const body = form.get('Message') ?? '';
    if (body === '') throw new QueryError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    const attributes = readAttributes(form, '');
    if (messageBytes(body, attributes) > MAX_MESSAGE_BYTES) {
      throw new QueryError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    }
    counters.publish.entries += 1;
    const message: Message = {
      id: crypto.randomUUID(),
      topicArn,
      subject: form.get('Subject') ?? undefined,
      body,
      attributes,
    };
    this.fanOut(message, subscriptions);
    return `<MessageId>${message.id}</MessageId>`;
  }

  private publishBatch(form: URLSearchParams): string {
    const counters = this.options.stats.counters.sns;
    counters.publishBatch.calls += 1;
    const { topicArn, subscriptions } = this.subscriptionsOf(form);
    const entries: { id: string; prefix: string }[] = [];
    for (let n = 1; form.has(`PublishBatchRequestEntries.member.${n}.Id`); n += 1) {
      const prefix = `PublishBatchRequestEntries.member.${n}.`;
      entries.push({ id: form.get(`${prefix}Id`)!, prefix });
    }
    if (entries.length === 0)
      throw new QueryError(400, 'EmptyBatchRequest', 'The batch request does not contain any entries.');
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw new QueryError(
        400,
        'TooManyEntriesInBatchRequest',
        `The batch request contains more entries than permissible (${MAX_BATCH_ENTRIES}).`,
      );
    }
    if (new Set(entries.map((e) => e.id)).size !== entries.length) {
      throw new QueryError(
        400,
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    }
    const parsed = entries.map(({ id, prefix }) => ({
      id,
      body: form.get(`${prefix}Message`) ?? '',
      subject: form.get(`${prefix}Subject`) ?? undefined,
      attributes: readAttributes(form, prefix),
    }));
    const total = parsed.reduce((sum, entry) => sum + messageBytes(entry.body, entry.attributes), 0);
    if (total > MAX_MESSAGE_BYTES) {
      throw new QueryError(
        400,
        'BatchRequestTooLong',
        'The length of all the batch messages put together is more than the limit.',
      );
    }
    let successful = '';
    let failed = '';
    for (const entry of parsed) {
      if (entry.body === '') {
        counters.failedEntries += 1;
        failed +=
          `<member><Id>${escapeXml(entry.id)}</Id><Code>InvalidParameter</Code>` +
          `<Message>Invalid parameter: Empty message</Message><SenderFault>true</SenderFault></member>`;
        continue;
      }
      counters.publishBatch.entries += 1;
      const message: Message = {
        id: crypto.randomUUID(),
        topicArn,
        subject: entry.subject,
        body: entry.body,
        attributes: entry.attributes,
      };
      this.fanOut(message, subscriptions);
      successful += `<member><Id>${escapeXml(entry.id)}</Id><MessageId>${message.id}</MessageId></member>`;
    }
    return `<Successful>${successful}</Successful><Failed>${failed}</Failed>`;
  }

  private fanOut(message: Message, subscriptions: Subscription[]): void {
    for (const subscription of subscriptions) {
      const plan = this.faults.snsDelivery();
      if (plan.drop) continue;
      for (let copy = 0; copy <= plan.duplicates; copy += 1) {
        const delivery = this.deliver(message, subscription, plan.delayMs, plan.reorder && copy === 0);
        this.inFlight.add(delivery);
        void delivery.finally(() => this.inFlight.delete(delivery));
      }
    }
  }

  /** Waits until the next delivery starts, or REORDER_MAX_HOLD_MS. */
  private holdForNext(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(release, REORDER_MAX_HOLD_MS);
      function release() {
        clearTimeout(timer);
        resolve();
      }
      this.held.push(release);
    });
  }

  /** Invokes the subscriber until it succeeds or the attempts run out; never rejects. */
  private async deliver(message: Message, subscription: Subscription, delayMs = 0, reorder = false): Promise<void> {
    const { stats, log, maxDeliveryAttempts = 4, retryBaseDelayMs = 200 } = this.options;
    const event = this.eventOf(message, subscription);
    // Asynchronous, like SNS: the publisher has its answer before the subscriber runs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (delayMs > 0) await sleep(delayMs);
    if (reorder) {
      await this.holdForNext();
    } else {
      // This delivery overtakes every one held for reordering; they go right after it.
      const held = this.held;
      this.held = [];
      setImmediate(() => held.forEach((release) => release()));
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        await subscription.fn.invoke(event);
        stats.counters.sns.deliveries += 1;
        return;
      } catch {
        // The invoker has logged the error with the function name.
        if (attempt >= maxDeliveryAttempts || this.stopped) {
          stats.counters.sns.deliveryDropped += 1;
          log('sns', `dropped message ${message.id} to ${subscription.fn.name} after ${attempt} attempt(s)`);
          return;
        }
        stats.counters.sns.deliveryRetries += 1;
        await sleep(retryBaseDelayMs * 2 ** (attempt - 1));
        if (this.stopped) {
          stats.counters.sns.deliveryDropped += 1;
          return;
        }
      }
    }
  }

  private eventOf(message: Message, subscription: Subscription) {
    const region = this.options.region ?? 'us-east-1';
    const messageAttributes: Record<string, { Type: string; Value: string }> = {};
    for (const [name, value] of Object.entries(message.attributes)) {
      messageAttributes[name] = { Type: value.DataType, Value: value.StringValue ?? value.BinaryValue ?? '' };
    }
    return {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: subscription.arn,
          Sns: {
            Type: 'Notification',
            MessageId: message.id,
            TopicArn: message.topicArn,
            Subject: message.subject ?? null,
            Message: message.body,
            Timestamp: new Date().toISOString(),
            SignatureVersion: '1',
            Signature: 'LOCAL',
            SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-local.pem`,
            UnsubscribeUrl: `${this.url}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscription.arn)}`,
            MessageAttributes: messageAttributes,
          },
        },
      ],
    };
  }
}

export async function startSns(options: SnsOptions): Promise<LocalSns> {
  const sns = new LocalSns(options);
  await sns.start();
  return sns;
}
