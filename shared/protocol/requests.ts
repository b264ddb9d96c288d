/**
 * One zod schema per request action of wire protocol v1. Argument names are
 * the Mesh v2 GraphQL argument names. Handlers validate with these and the
 * docs list them; the client SDK types its calls with args.ts, which the
 * check below holds to these schemas.
 */
import * as z from 'zod';
import type { Action, ActionArgs, RequestEnvelope } from './args';
import { isWellFormed, LIMITS, utf8Bytes } from './limits';

export type { Action, ArgsOf } from './args';

/** A string that may hold anything Unicode can, up to `max` characters: no lone surrogate (limits.ts says why). */
const anyText = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .max(max, { error: `${field} must be at most ${max} characters` })
    .refine(isWellFormed, { error: `${field} must be well-formed Unicode (it holds a lone surrogate)` });

const text = (field: string, max: number) => anyText(field, max).min(1, { error: `${field} must not be empty` });

export const domainField = text('domain', LIMITS.maxDomainLength);
export const groupIdField = text('groupId', LIMITS.maxGroupIdLength);
export const nodeIdField = text('nodeId', LIMITS.maxNodeIdLength);
export const hostIdField = text('hostId', LIMITS.maxNodeIdLength);
const requestIdField = anyText('requestId', LIMITS.maxRequestIdLength).optional();
const nextTokenField = anyText('nextToken', LIMITS.maxNextTokenLength).optional();
/** The secret createGroup or joinGroup issued for the node (args.ts's RequestEnvelope says when it is read). */
const nodeTokenField = text('nodeToken', LIMITS.maxNodeTokenLength).optional();
/** Over HTTPS: this client fell back from the WebSocket (args.ts's RequestEnvelope says when it is sent). */
const transportFallbackField = z.boolean({ error: 'transportFallback must be a boolean' }).optional();
/** ISO 8601 date-time, e.g. 2026-01-02T03:04:05.678Z. */
const isoTimestamp = (field: string) =>
  z.iso.datetime({ offset: true, error: `${field} must be an ISO 8601 date-time` });

const statusEntry = z.strictObject({
  key: text('key', LIMITS.maxStatusKeyLength),
  value: anyText('value', LIMITS.maxStatusValueLength),
});

const eventInput = z.strictObject({
  eventName: text('eventName', LIMITS.maxEventNameLength),
  payload: anyText('payload', LIMITS.maxEventPayloadLength).nullish(),
  firedAt: isoTimestamp('firedAt'),
  orderKey: text('orderKey', LIMITS.maxOrderKeyLength).optional(),
});

const eventsField = z
  .array(eventInput, { error: 'events must be a list of {eventName, payload?, firedAt, orderKey?}' })
  .min(1, { error: 'events must not be empty' })
  .max(LIMITS.maxEventsPerBatch, { error: `events holds at most ${LIMITS.maxEventsPerBatch} events` });

/** A log cursor: "" or one the mesh gave (shared/core/event-log.ts checks it). */
const sinceField = anyText('since', LIMITS.maxCursorLength);

/** The deployment's admin token (MESH_ADMIN_TOKEN), which the console's actions need. */
const adminTokenField = text('adminToken', LIMITS.maxNodeTokenLength);

const request = <A extends string, S extends z.ZodRawShape>(action: A, shape: S) =>
  z.strictObject({
    action: z.literal(action),
    requestId: requestIdField,
    nodeToken: nodeTokenField,
    transportFallback: transportFallbackField,
    ...shape,
  });

export const requestSchemas = {
  createDomain: request('createDomain', {}),
  createGroup: request('createGroup', {
    name: text('name', LIMITS.maxNameLength),
    hostId: hostIdField,
    domain: domainField,
    maxConnectionTimeSeconds: z
      .number({ error: 'maxConnectionTimeSeconds must be a number' })
      .int({ error: 'maxConnectionTimeSeconds must be an integer' })
      .min(1, { error: 'maxConnectionTimeSeconds must be at least 1' })
      .optional(),
    useWebSocket: z.boolean({ error: 'useWebSocket must be a boolean' }).optional(),
  }),
  listGroupsByDomain: request('listGroupsByDomain', { domain: domainField }),
  searchGroupsByNamePrefix: request('searchGroupsByNamePrefix', {
    namePrefix: text('namePrefix', LIMITS.maxNamePrefixLength),
    limit: z
      .number({ error: 'limit must be a number' })
      .int({ error: 'limit must be an integer' })
      .min(1, { error: 'limit must be at least 1' })
      .nullish(),
  }),
  joinGroup: request('joinGroup', {
    groupId: groupIdField,
    domain: domainField,
    nodeId: nodeIdField,
    useWebSocket: z.boolean({ error: 'useWebSocket must be a boolean' }).nullish(),
  }),
  leaveGroup: request('leaveGroup', { groupId: groupIdField, domain: domainField, nodeId: nodeIdField }),
  dissolveGroup: request('dissolveGroup', { groupId: groupIdField, domain: domainField, hostId: hostIdField }),
  renewHeartbeat: request('renewHeartbeat', { groupId: groupIdField, domain: domainField, hostId: hostIdField }),
  sendMemberHeartbeat: request('sendMemberHeartbeat', {
    groupId: groupIdField,
    domain: domainField,
    nodeId: nodeIdField,
  }),
  reportDataByNode: request('reportDataByNode', {
    groupId: groupIdField,
    domain: domainField,
    nodeId: nodeIdField,
    data: z
      .array(statusEntry, { error: 'data must be a list of {key, value}' })
      .min(1, { error: 'data must not be empty' })
      .max(LIMITS.maxStatusKeysPerReport, { error: `data holds at most ${LIMITS.maxStatusKeysPerReport} entries` }),
  }),
  fireEventsByNode: request('fireEventsByNode', {
    groupId: groupIdField,
    domain: domainField,
    nodeId: nodeIdField,
    events: eventsField,
  }),
  recordEventsByNode: request('recordEventsByNode', {
    groupId: groupIdField,
    domain: domainField,
    nodeId: nodeIdField,
    events: eventsField,
  }),
  getEventsSince: request('getEventsSince', {
    groupId: groupIdField,
    domain: domainField,
    since: sinceField,
  }),
  pollGroupData: request('pollGroupData', {
    groupId: groupIdField,
    domain: domainField,
    since: sinceField,
  }),
  getPushesSince: request('getPushesSince', {
    groupId: groupIdField,
    domain: domainField,
    pos: z
      .number({ error: 'pos must be a number' })
      .int({ error: 'pos must be an integer' })
      .min(0, { error: 'pos must be at least 0' })
      .max(Number.MAX_SAFE_INTEGER, { error: 'pos is too large' }),
  }),
  getNodeStatus: request('getNodeStatus', {
    nodeId: nodeIdField,
    /** Optional: defaults to the caller's own group. */
    groupId: groupIdField.optional(),
    domain: domainField.optional(),
  }),
  listGroupStatuses: request('listGroupStatuses', {
    groupId: groupIdField,
    domain: domainField,
    nextToken: nextTokenField,
  }),
  listNodesInGroup: request('listNodesInGroup', {
    groupId: groupIdField,
    domain: domainField,
    nextToken: nextTokenField,
  }),
  watchMesh: request('watchMesh', { adminToken: adminTokenField }),
  watchGroup: request('watchGroup', { adminToken: adminTokenField, groupId: groupIdField, domain: domainField }),
  unwatchMesh: request('unwatchMesh', { adminToken: adminTokenField }),
} as const;

export const ACTIONS = Object.keys(requestSchemas) as Action[];

/** True when `A` and `B` take the same values and name the same keys (optional ones too). */
type Same<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;
type SchemaArgs = {
  [A in keyof typeof requestSchemas]: Omit<z.input<(typeof requestSchemas)[A]>, 'action' | keyof RequestEnvelope>;
};
/** The actions whose schema accepts other arguments than args.ts says (never, while they agree). */
type Disagreeing = { [A in Action]: Same<SchemaArgs[A], ActionArgs[A]> extends true ? never : A }[Action];
/**
 * These compile only while the schemas and args.ts agree: the same actions,
 * and for each the same arguments. The error names the actions that differ.
 */
type Assert<T extends true> = T;
type _SameActions = Assert<Same<keyof typeof requestSchemas, Action>>;
type _SameArgs = Assert<[Disagreeing] extends [never] ? true : Disagreeing>;

/** The validated request of each action. */
export type RequestOf<A extends Action> = z.infer<(typeof requestSchemas)[A]>;
export type AnyRequest = { [A in Action]: RequestOf<A> }[Action];

export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, value);
}

/** Result of parsing one inbound frame: the request, or why it was refused. */
export type ParsedRequest =
  { ok: true; request: AnyRequest } | { ok: false; action?: string; requestId?: string; message: string };

/**
 * Parses and validates one client message (the frame's text). Never throws.
 * The action and requestId are recovered where possible so the error reply can
 * echo them.
 */
export function parseRequest(body: string | undefined | null): ParsedRequest {
  if (typeof body !== 'string' || body.length === 0) return { ok: false, message: 'message body is empty' };
  if (utf8Bytes(body) > LIMITS.maxClientMessageBytes) {
    return { ok: false, message: `message exceeds ${LIMITS.maxClientMessageBytes} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, message: 'message is not valid JSON' };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, message: 'message must be a JSON object' };
  }
  const raw = json as Record<string, unknown>;
  const requestId = typeof raw.requestId === 'string' ? raw.requestId.slice(0, LIMITS.maxRequestIdLength) : undefined;
  const action = typeof raw.action === 'string' ? raw.action.slice(0, 64) : undefined;
  if (!isAction(raw.action)) {
    return {
      ok: false,
      action,
      requestId,
      message: action === undefined ? 'action is missing' : `unknown action: ${action}`,
    };
  }
  const result = requestSchemas[raw.action].safeParse(raw);
  if (!result.success) {
    return { ok: false, action, requestId, message: describeIssues(result.error) };
  }
  return { ok: true, request: result.data as AnyRequest };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'message';
      if (issue.code === 'unrecognized_keys') return `${where}: unknown field(s) ${issue.keys.join(', ')}`;
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}
