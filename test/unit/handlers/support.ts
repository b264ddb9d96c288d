/** Shared set-up of the handler tests: env, Lambda context, fixtures and captured log lines. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';

/** What the Pulumi program sets; set before a handler module is loaded (it reads them at load). */
export const HANDLER_ENV = {
  MESH_TABLE_NAME: 'mesh-test',
  MESH_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:mesh-pushes',
  MESH_MANAGEMENT_ENDPOINT: 'https://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod',
  MESH_FANOUT_CONCURRENCY: '4',
  MESH_DOMAIN_SECRET: 'a-domain-secret-of-the-handler-tests',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
} as const;

export function setHandlerEnv(): void {
  Object.assign(process.env, HANDLER_ENV);
}

/** A Lambda context as the runtime passes it (middy reads getRemainingTimeInMillis). */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/12/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A JSON event fixture from test/fixtures/events (a fresh copy each call). */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'events', name), 'utf8')) as T;
}

/** Captures (and silences) the JSON log lines written to stdout and stderr. */
export function captureLogs(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const written: string[] = [];
  const capture = (chunk: unknown): boolean => {
    written.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  return {
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
