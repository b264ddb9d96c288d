/**
 * The one line a stack process prints on stdout once every part is up:
 *
 *   MESH_READY {"wsUrl":…,"httpUrl":…,"managementUrl":…,"statsUrl":…,"consoleUrl":…,"dynamodbUrl":…,"dynamodbPid":…,…}
 *
 * Scripts and tests wait for it and read the stack's URLs from it, so its name
 * and its fields are a contract (local/README.md): main.ts and
 * bench/profile-stack.ts print it from here, stack-process.ts reads it with
 * the same definition. Other processes that announce themselves the same way
 * (the bench's baseline relay) use the generic pair with a marker of their own.
 */
import type { Stack } from './stack';

export const READY_MARKER = 'MESH_READY';

/** The JSON of the MESH_READY line. */
export interface ReadyPayload {
  /** Where WebSocket clients connect. */
  wsUrl: string;
  /** Where polling clients POST their requests. */
  httpUrl: string;
  /** The handlers' Management API endpoint. */
  managementUrl: string;
  /** GET: the counters; POST {statsUrl}/reset zeroes them. */
  statsUrl: string;
  /** Opens the operator console on this stack, its admin token in the URL's fragment. */
  consoleUrl: string;
  snsUrl: string;
  /** DynamoDB Local (give it to another stack as MESH_DYNAMODB_ENDPOINT). */
  dynamodbUrl: string;
  tableName: string;
  /** The stack's process id. */
  pid: number;
  /** GET/PUT/DELETE: the faults in force. */
  faultsUrl: string;
  /** DynamoDB Local's process id; null when the engine is shared (MESH_DYNAMODB_ENDPOINT): this stack did not spawn it. */
  dynamodbPid: number | null;
  /** bench/profile-stack.ts only: GET it for the SDK call timings so far. */
  timingsUrl?: string;
}

/** The MESH_READY payload of a stack running in this process. */
export function readyPayloadOf(stack: Stack): ReadyPayload {
  return {
    wsUrl: stack.wsUrl,
    httpUrl: stack.httpUrl,
    managementUrl: stack.managementUrl,
    statsUrl: stack.statsUrl,
    consoleUrl: stack.consoleUrl,
    snsUrl: stack.snsUrl,
    dynamodbUrl: stack.dynamodbUrl,
    tableName: stack.tableName,
    pid: process.pid,
    faultsUrl: stack.faultsUrl,
    dynamodbPid: stack.dynamodbPid ?? null,
  };
}

/** The MESH_READY line, newline included. */
export function formatReadyLine(payload: ReadyPayload): string {
  return formatMarkedLine(READY_MARKER, payload);
}

/** `<marker> {json}` and a newline, as a process announces itself on stdout. */
export function formatMarkedLine(marker: string, payload: object): string {
  return `${marker} ${JSON.stringify(payload)}\n`;
}

/**
 * The payload of one complete stdout line if it is `<marker> {json}`, else
 * undefined. Throws if the marker is followed by text that is not JSON.
 */
export function parseMarkedLine<T>(marker: string, line: string): T | undefined {
  if (!line.startsWith(`${marker} `)) return undefined;
  return JSON.parse(line.slice(marker.length + 1)) as T;
}
