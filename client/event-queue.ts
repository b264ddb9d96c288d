/**
 * The outgoing event queue. `fireEvent` stamps the event with its real firing
 * time and queues it; every `flushIntervalMs` the events queued so far leave
 * as one `fireEventsByNode` — or as several, in order, when they are more than
 * 1,000 or their message would exceed 32 KB (API Gateway closes a connection
 * on a larger frame).
 *
 * Delivery: a batch leaves the queue only when its reply came back OK. A batch
 * whose reply never came (the connection dropped, or the reply timed out) is
 * sent again, unchanged and before anything newer, once the client is back;
 * nothing queued is lost, and no event is ever sent in two different batches.
 * If the first copy had in fact been accepted, receivers see the same batch
 * twice (same sender, same events with the same `firedAt`); MeshClient
 * receivers recognise that and drop the copy (see BatchDeduplicator).
 */
import { isWellFormed, LIMITS, utf8Bytes } from '#shared/protocol/limits';
import { MeshError } from './errors';
import type { SendOutcome } from './limiter';

/** One event as `fireEventsByNode` carries it. */
export interface EventInput {
  eventName: string;
  payload: string | null;
  firedAt: string;
}

interface QueuedEvent {
  event: EventInput;
  /** UTF-8 bytes of the event as JSON. */
  bytes: number;
}

export interface BatchLimits {
  /** Events per message. Default 1,000 (protocol limit). */
  maxEvents?: number;
  /** Bytes of one whole message (UTF-8 JSON). Default 32 KB. */
  maxMessageBytes?: number;
  /** Bytes of the message with an empty `events` list. */
  envelopeBytes: number;
}

export interface EventQueueOptions {
  /** How often queued events leave. Default 250 ms. */
  flushIntervalMs?: number;
  maxEventsPerMessage?: number;
  maxMessageBytes?: number;
  /** Bytes of a `fireEventsByNode` message with an empty `events` list (depends on ids and domain). */
  envelopeBytes: () => number;
  /** Sends one batch as one `fireEventsByNode`. */
  send: (events: EventInput[]) => Promise<SendOutcome>;
  /** Told about events that can never be sent (already reported by `send` when it returned 'dropped'). */
  onDropped?: (events: EventInput[], reason: MeshError) => void;
}

export const EVENT_QUEUE_DEFAULTS = {
  flushIntervalMs: 250,
  maxEventsPerMessage: LIMITS.maxEventsPerBatch,
  maxMessageBytes: LIMITS.maxClientMessageBytes,
} as const;

/** UTF-8 bytes of one event inside the `events` array. */
export function eventBytes(event: EventInput): number {
  return utf8Bytes(JSON.stringify(event));
}

/**
 * Cuts events, in order, into batches whose messages each hold at most
 * `maxEvents` events and `maxMessageBytes` bytes. Exact, because
 * JSON.stringify of an array is `[` + items joined by `,` + `]`: the envelope
 * already counts `[]`. Throws if one event alone cannot fit.
 */
export function splitIntoBatches(events: EventInput[], limits: BatchLimits): EventInput[][] {
  const queued = events.map((event) => ({ event, bytes: eventBytes(event) }));
  const batches: EventInput[][] = [];
  let rest = queued;
  while (rest.length > 0) {
    const count = takeCount(rest, limits);
    batches.push(rest.slice(0, count).map((q) => q.event));
    rest = rest.slice(count);
  }
  return batches;
}

/** How many leading events fit in one message (at least one, or it throws). */
function takeCount(queued: readonly QueuedEvent[], limits: BatchLimits): number {
  const maxEvents = limits.maxEvents ?? EVENT_QUEUE_DEFAULTS.maxEventsPerMessage;
  const maxBytes = limits.maxMessageBytes ?? EVENT_QUEUE_DEFAULTS.maxMessageBytes;
  let bytes = limits.envelopeBytes;
  let count = 0;
  for (const item of queued) {
    if (count >= maxEvents) break;
    const next = bytes + item.bytes + (count > 0 ? 1 : 0);
    if (next > maxBytes) break;
    bytes = next;
    count += 1;
  }
  if (count === 0 && queued.length > 0)
    throw tooLarge(queued[0].event, limits.envelopeBytes + queued[0].bytes, maxBytes);
  return count;
}

function tooLarge(event: EventInput, bytes: number, max: number): MeshError {
  return new MeshError(
    'ValidationError',
    `event "${event.eventName.slice(0, 40)}" needs a ${bytes}-byte message; a client message holds at most ${max} bytes`,
  );
}

export class EventQueue {
  private readonly flushIntervalMs: number;
  private readonly maxEvents: number;
  private readonly maxMessageBytes: number;
  private readonly envelopeBytes: () => number;
  private readonly send: EventQueueOptions['send'];
  private readonly onDropped: NonNullable<EventQueueOptions['onDropped']>;

  private queue: QueuedEvent[] = [];
  /** The batch sent last whose reply has not come OK yet; it goes out again first. */
  private unconfirmed: QueuedEvent[] | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sending: Promise<void> | null = null;
  private active = false;
  /** `fireEventsByNode` messages sent (copies of an unconfirmed batch included). */
  batchesSent = 0;
  /** Events confirmed by the server. */
  eventsConfirmed = 0;

  constructor(options: EventQueueOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? EVENT_QUEUE_DEFAULTS.flushIntervalMs;
    this.maxEvents = options.maxEventsPerMessage ?? EVENT_QUEUE_DEFAULTS.maxEventsPerMessage;
    this.maxMessageBytes = options.maxMessageBytes ?? EVENT_QUEUE_DEFAULTS.maxMessageBytes;
    this.envelopeBytes = options.envelopeBytes;
    this.send = options.send;
    this.onDropped = options.onDropped ?? (() => {});
  }

  /** Events not yet confirmed by the server (queued or in flight). */
  get length(): number {
    return this.queue.length + (this.unconfirmed?.length ?? 0);
  }

  /**
   * Queues an event fired now. Throws a ValidationError for a name or payload
   * over the protocol limits, or an event that cannot fit in one message.
   */
  push(eventName: string, payload: string | null = null): EventInput {
    if (eventName.length === 0 || eventName.length > LIMITS.maxEventNameLength) {
      throw new MeshError('ValidationError', `event name must be 1–${LIMITS.maxEventNameLength} characters`);
    }
    if (payload !== null && payload.length > LIMITS.maxEventPayloadLength) {
      throw new MeshError(
        'ValidationError',
        `payload of "${eventName.slice(0, 40)}" is ${payload.length} characters; at most ${LIMITS.maxEventPayloadLength}`,
      );
    }
    if (!isWellFormed(eventName) || (payload !== null && !isWellFormed(payload))) {
      throw new MeshError(
        'ValidationError',
        `event "${eventName.slice(0, 40)}" is not well-formed Unicode (it holds a lone surrogate)`,
      );
    }
    const event: EventInput = { eventName, payload, firedAt: new Date().toISOString() };
    const bytes = eventBytes(event);
    const whole = this.envelopeBytes() + bytes;
    if (whole > this.maxMessageBytes) throw tooLarge(event, whole, this.maxMessageBytes);
    this.queue.push({ event, bytes });
    this.schedule();
    return event;
  }

  /** Starts sending (in a group, connected). */
  start(): void {
    this.active = true;
    this.schedule();
  }

  /** Stops sending; queued and unconfirmed events are kept. */
  stop(): void {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Drops everything queued (leaving a group). */
  clear(): void {
    this.queue = [];
    this.unconfirmed = null;
  }

  /**
   * Sends the unconfirmed batch, then every event queued so far, one message
   * at a time (a batch's reply comes before the next batch leaves, so the
   * server numbers them in order). Resolves when done or when a send must be
   * retried later.
   */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.sending) {
      this.sending = this.drain().finally(() => {
        this.sending = null;
        this.schedule();
      });
    }
    return this.sending;
  }

  private schedule(): void {
    if (!this.active || this.timer || this.sending || this.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushIntervalMs);
  }

  private async drain(): Promise<void> {
    // Events fired while this flush runs wait for the next tick, so they batch.
    let budget = this.queue.length;
    while (this.active && (this.unconfirmed || budget > 0)) {
      if (!this.unconfirmed) {
        budget = Math.min(budget, this.queue.length);
        if (budget === 0) break;
        let count: number;
        try {
          count = Math.min(budget, takeCount(this.queue, this.limits()));
        } catch (error) {
          // Only possible if the envelope grew after the event was queued
          // (a longer group id or domain): that event can never be sent.
          const [dropped] = this.queue.splice(0, 1);
          budget -= 1;
          this.onDropped([dropped.event], error as MeshError);
          continue;
        }
        this.unconfirmed = this.queue.splice(0, count);
        budget -= count;
      }
      const batch = this.unconfirmed;
      this.batchesSent += 1;
      let outcome: SendOutcome;
      try {
        outcome = await this.send(batch.map((q) => q.event));
      } catch {
        outcome = 'retry';
      }
      if (outcome === 'retry') return;
      // Cleared (left the group) while in flight: nothing to confirm.
      if (this.unconfirmed !== batch) continue;
      this.unconfirmed = null;
      // 'dropped': the server refused it for good; `send` has reported why.
      if (outcome === 'sent') this.eventsConfirmed += batch.length;
    }
  }

  private limits(): BatchLimits {
    return { maxEvents: this.maxEvents, maxMessageBytes: this.maxMessageBytes, envelopeBytes: this.envelopeBytes() };
  }
}
