/**
 * Hooks on the AWS SDK clients of this thread (the stack's, or a worker's):
 * every client that sends a command gets two middlewares, added to its stack
 * on its first `send`:
 *   - `meshLocalCall` (step build, once per call): reports the call to
 *     `onCall`, and to `afterCall` once it has settled (retries included);
 *   - `meshLocalAttempt` (step deserialize, lowest priority, so below the
 *     retry middleware and right above the HTTP handler, once per attempt):
 *     may delay the attempt or answer it with an injected HTTP response, which
 *     the SDK then parses and retries exactly as an answer from AWS.
 * Counting here costs a few microseconds per call; the HTTP proxy it replaces
 * cost 0.5–0.9 ms of the stack's CPU per call.
 *
 * `Client.prototype.send` is patched on the prototypes that the SDK clients
 * the handlers use inherit it from (the smithy `Client` of each client
 * package), so it works whichever copy of @smithy/core they resolve.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';

/** A call as the hooks see it: `DynamoDB` / `UpdateItem`, `ApiGatewayManagementApi` / `PostToConnection`. */
export interface SdkCall {
  service: string;
  operation: string;
}

/** An HTTP answer to give the SDK instead of sending the request. */
export interface InjectedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What to do with one HTTP attempt. */
export interface AttemptPlan {
  delayMs?: number;
  response?: InjectedResponse;
}

export interface SdkHooks {
  onCall?(call: SdkCall): void;
  afterCall?(call: SdkCall, failed: boolean): void;
  beforeAttempt?(call: SdkCall): AttemptPlan | undefined;
}

interface MiddlewareStack {
  add(middleware: unknown, options: Record<string, unknown>): void;
}
interface HookedClient {
  middlewareStack: MiddlewareStack;
}
type Send = (this: HookedClient, ...args: unknown[]) => unknown;
interface HandlerContext {
  clientName?: string;
  commandName?: string;
}
type Next = (args: unknown) => Promise<unknown>;

/** Installed hooks, latest last; the latest is the one in force. */
const installed: SdkHooks[] = [];
let current: SdkHooks | undefined;
const hooked = new WeakSet<object>();
const skipped = new WeakSet<object>();
const patched = new WeakSet<object>();

/** The stack's own clients (table setup) call through unhooked: the stats count the handlers' calls. */
export function uncounted<T extends { middlewareStack: object }>(client: T): T {
  skipped.add(client.middlewareStack);
  return client;
}

function callOf(context: HandlerContext): SdkCall {
  return {
    service: (context.clientName ?? 'Unknown').replace(/Client$/, ''),
    operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function callMiddleware(next: Next, context: HandlerContext): Next {
  return async function meshLocalCall(args) {
    const hooks = current;
    if (!hooks) return next(args);
    const call = callOf(context);
    hooks.onCall?.(call);
    try {
      const result = await next(args);
      hooks.afterCall?.(call, false);
      return result;
    } catch (error) {
      hooks.afterCall?.(call, true);
      throw error;
    }
  };
}

function attemptMiddleware(next: Next, context: HandlerContext): Next {
  return async function meshLocalAttempt(args) {
    const plan = current?.beforeAttempt?.(callOf(context));
    if (!plan) return next(args);
    if (plan.delayMs) await sleep(plan.delayMs);
    if (!plan.response) return next(args);
    const { statusCode, headers, body } = plan.response;
    // The deserializers accept any object of HttpResponse's shape with a byte body.
    return { response: { statusCode, headers, body: new TextEncoder().encode(body) } };
  };
}

function addMiddlewares(client: HookedClient): void {
  const stack = client.middlewareStack;
  if (hooked.has(stack) || skipped.has(stack)) return;
  hooked.add(stack);
  stack.add((next: Next, context: HandlerContext) => callMiddleware(next, context), {
    step: 'build',
    name: 'meshLocalCall',
  });
  stack.add((next: Next, context: HandlerContext) => attemptMiddleware(next, context), {
    step: 'deserialize',
    priority: 'low',
    name: 'meshLocalAttempt',
  });
}

/** The prototype that owns `send` above an SDK client class. */
function sendOwner(clientClass: { prototype: object }): object | undefined {
  for (let proto: object | null = clientClass.prototype; proto; proto = Object.getPrototypeOf(proto)) {
    if (Object.prototype.hasOwnProperty.call(proto, 'send')) return proto;
  }
  return undefined;
}

/**
 * Routes this thread's SDK calls through `hooks` (in place of any installed
 * earlier, until these are removed); returns the function that removes them.
 * Clients created before this call are hooked too, on their next `send`.
 */
export function installSdkHooks(hooks: SdkHooks): () => void {
  installed.push(hooks);
  current = hooks;
  for (const clientClass of [DynamoDBClient, SNSClient, ApiGatewayManagementApiClient]) {
    const owner = sendOwner(clientClass) as { send: Send } | undefined;
    if (!owner || patched.has(owner)) continue;
    patched.add(owner);
    const send = owner.send;
    owner.send = function hookedSend(this: HookedClient, ...args: unknown[]) {
      if (current) addMiddlewares(this);
      return send.apply(this, args);
    };
  }
  // Once removed, the middlewares stay on the clients and pass calls through.
  return function removeSdkHooks() {
    const at = installed.lastIndexOf(hooks);
    if (at >= 0) installed.splice(at, 1);
    current = installed.at(-1);
  };
}
