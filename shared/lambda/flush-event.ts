/**
 * The SNS events of the fan-out: each record carries one flush request. Its
 * own module, so that handlers which never read SNS (connect) do not bundle
 * the schema library.
 */
import type { SNSEvent, SNSEventRecord } from 'aws-lambda';
import { FLUSH_REQUEST } from '#shared/core/fanout/flush-request';
import type { FlushRequest } from '#shared/core/ports';
import { MalformedEvent } from './events';

/**
 * The flush request one SNS record carries. It is our own message, but a
 * malformed one (a wiring error, another publisher on the topic) must fail
 * loudly rather than post nothing.
 */
export function flushRequestOf(record: SNSEventRecord): FlushRequest {
  let message: unknown;
  try {
    message = JSON.parse(record.Sns.Message);
  } catch {
    throw new MalformedEvent(`SNS message ${record.Sns.MessageId} is not JSON`);
  }
  const parsed = FLUSH_REQUEST.safeParse(message);
  if (!parsed.success) throw new MalformedEvent(`SNS message ${record.Sns.MessageId} is not a flush request`);
  return parsed.data;
}

export type { SNSEvent, SNSEventRecord };
