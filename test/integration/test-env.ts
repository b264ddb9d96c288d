/**
 * The environment the integration setup (global-setup.ts) hands the test
 * workers: one name per setting, keyed by the MESH_READY field it is read
 * from, for the main stack and the "short" one (heartbeat TTLs of seconds).
 * Tests read them through `testEnv`, which fails at once, saying why, when a
 * suite runs outside the integration project.
 */
// Relative, not #local/…: global-setup.ts imports this file outside jest's module map.
import type { ReadyPayload } from '../../local/ready-line';

/** What the setup exports of one stack: a variable name per MESH_READY field. */
export type StackEnv = Partial<Record<keyof ReadyPayload, string>>;

export const TEST_ENV = {
  main: {
    wsUrl: 'MESH_TEST_WS_URL',
    httpUrl: 'MESH_TEST_HTTP_URL',
    statsUrl: 'MESH_TEST_STATS_URL',
    managementUrl: 'MESH_TEST_MANAGEMENT_URL',
    dynamodbUrl: 'MESH_TEST_DYNAMODB_URL',
    tableName: 'MESH_TEST_TABLE_NAME',
  },
  short: {
    wsUrl: 'MESH_TEST_SHORT_WS_URL',
    httpUrl: 'MESH_TEST_SHORT_HTTP_URL',
    statsUrl: 'MESH_TEST_SHORT_STATS_URL',
    managementUrl: 'MESH_TEST_SHORT_MANAGEMENT_URL',
    tableName: 'MESH_TEST_SHORT_TABLE_NAME',
  },
  /** The stacks' log files, space-separated. */
  stackLogs: 'MESH_TEST_STACK_LOGS',
} as const satisfies { main: StackEnv; short: StackEnv; stackLogs: string };

/**
 * The short stack's MESH_DOMAIN_SECRET, set by the setup, so a test can work
 * out the domain createDomain must answer; the main stack makes its own.
 */
export const SHORT_STACK_DOMAIN_SECRET = 'the-short-stack-domain-secret';

/** The short stack's MESH_ALLOWED_ORIGINS, set by the setup; the main stack takes any origin. */
export const SHORT_STACK_ALLOWED_ORIGIN = 'https://school.example';

type ValueOf<T> = T[keyof T];
/** A variable TEST_ENV names. */
export type TestEnvName = ValueOf<typeof TEST_ENV.main> | ValueOf<typeof TEST_ENV.short> | typeof TEST_ENV.stackLogs;

/** The value of one of TEST_ENV's variables; throws if the integration setup did not set it. */
export function testEnv(name: TestEnvName): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through the integration project (its globalSetup exports it)`);
  return value;
}

/** The variables `env` names, filled from a stack's MESH_READY payload. */
export function stackEnv(env: StackEnv, ready: ReadyPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([field, name]) => [name, String(ready[field as keyof ReadyPayload])]),
  );
}
