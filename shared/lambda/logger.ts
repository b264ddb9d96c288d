/**
 * A tiny structured logger: one JSON object per line, info to stdout, warnings
 * and errors to stderr. CloudWatch Logs (and the local stack's console) keep
 * each line as one event that Logs Insights can query by field.
 *
 * Written straight to the streams, not through console.*, so that Lambda's
 * console prefix (time, request id, level) does not break the JSON.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** An Error as loggable fields (name, message, stack, cause); anything else as is. */
export function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const described: LogFields = { name: error.name, message: error.message, stack: error.stack };
  if (error instanceof AggregateError) described.errors = error.errors.map(describeError);
  if (error.cause !== undefined) described.cause = describeError(error.cause);
  return described;
}

function write(stream: NodeJS.WriteStream, level: string, message: string, fields: LogFields | undefined): void {
  const line: LogFields = { level, time: new Date().toISOString(), message };
  for (const [name, value] of Object.entries(fields ?? {})) {
    line[name] = value instanceof Error ? describeError(value) : value;
  }
  stream.write(`${JSON.stringify(line)}\n`);
}

/** A logger whose every line also carries `base` (e.g. the function's name). */
export function createLogger(base: LogFields = {}): Logger {
  return {
    info: (message, fields) => write(process.stdout, 'INFO', message, { ...base, ...fields }),
    warn: (message, fields) => write(process.stderr, 'WARN', message, { ...base, ...fields }),
    error: (message, fields) => write(process.stderr, 'ERROR', message, { ...base, ...fields }),
  };
}
