/**
 * What the local stack wires, read from the mesh's topology (shared/topology.ts),
 * the description the Pulumi program declares its AWS resources from: the
 * module and timeout of each function, which function each WebSocket route
 * invokes, the topic's subscriber, the scheduled function and its interval,
 * and the resource variables the handlers need. Nothing here is the stack's
 * own choice, so the two deployments cannot drift apart
 * (test/infra/topology.test.ts compares what each builds).
 */
import path from 'node:path';
import { authorizerEnabled, authSettings } from '#shared/config';
import {
  CONNECT_AUTHORIZER,
  FUNCTION_NAMES,
  FUNCTIONS,
  HTTP_ROUTE,
  resourceEnvironment,
  ROUTES,
  TRIGGERS,
  type FunctionName,
} from '#shared/topology';

/** `resourceEnvironment`: the variables naming the table, the topic and the Management API, as the Pulumi program sets them. */
export { FUNCTION_NAMES, resourceEnvironment, type FunctionName };

/**
 * The $connect authorizer when a credential is configured, as the Pulumi
 * program declares it: its function and the query parameter API Gateway
 * reads the credential from. None when the environment sets no credential.
 */
export function authorizerBinding<F>(
  functions: Record<FunctionName, F>,
  env: NodeJS.ProcessEnv,
): { fn: F; queryParameter: string } | undefined {
  if (!authorizerEnabled(authSettings(env))) return undefined;
  return { fn: functions[CONNECT_AUTHORIZER.fn], queryParameter: CONNECT_AUTHORIZER.queryParameter };
}

/**
 * The HTTPS endpoint's function and, when a credential is configured, its
 * authorizer: the Pulumi program's HTTP API route, which the $connect
 * authorizer guards too.
 */
export function httpBinding<F>(
  functions: Record<FunctionName, F>,
  env: NodeJS.ProcessEnv,
): { fn: F; authorizer?: { fn: F; queryParameter: string } } {
  const authorizer = authorizerEnabled(authSettings(env))
    ? { fn: functions[CONNECT_AUTHORIZER.fn], queryParameter: HTTP_ROUTE.queryParameter }
    : undefined;
  return { fn: functions[HTTP_ROUTE.fn], ...(authorizer ? { authorizer } : {}) };
}

const ROOT = path.resolve(__dirname, '..');

/** The handler module a function's thread loads: the topology's entry, as an absolute path. */
export function functionModule(fn: FunctionName): string {
  return path.join(ROOT, FUNCTIONS[fn].entry);
}

/** Lambda's timeout of the function: the deployed default (`mesh:{fn}TimeoutSeconds`). */
export function functionTimeoutSeconds(fn: FunctionName): number {
  return FUNCTIONS[fn].timeoutSeconds;
}

/** One gateway route: the function it invokes, and whether its returned body answers the caller. */
export interface RouteBinding<F> {
  fn: F;
  twoWay: boolean;
}

/** Route key → the function serving it, for every route of the topology. */
export function routeBindings<F>(functions: Record<FunctionName, F>): Record<string, RouteBinding<F>> {
  return Object.fromEntries(ROUTES.map((route) => [route.routeKey, { fn: functions[route.fn], twoWay: route.twoWay }]));
}

/** The function SNS delivers the push topic's messages to. */
export const TOPIC_SUBSCRIBER: FunctionName = TRIGGERS.topic.fn;

/** The function the schedule runs, and how often by default (EventBridge's rate in AWS). */
export const SCHEDULED_FUNCTION: FunctionName = TRIGGERS.schedule.fn;
export const DEFAULT_SCHEDULE_SECONDS = TRIGGERS.schedule.intervalMinutes * 60;
