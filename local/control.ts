/**
 * The stack's own control endpoints, on the Management API port beside
 * `@connections` (and also under `/{stage}/_local/…`):
 *   GET    /_local/stats          the counters (stats.ts)
 *   POST   /_local/stats/reset    zeroes them
 *   GET    /_local/faults         the fault configuration in force (faults.ts)
 *   PUT    /_local/faults         replaces it with the JSON body (400 if invalid); dice re-seeded
 *   DELETE /_local/faults         turns every fault off
 * Answers are JSON; errors carry `x-amzn-ErrorType` like the rest of the port.
 */
import type http from 'node:http';
import { FaultConfigError, type FaultInjector, parseFaults } from './faults';
import type { LocalStats } from './stats';

const CONTROL_PATH = /^(?:\/[^/]+)?\/_local\/(stats|stats\/reset|faults)$/;

export interface ControlAnswer {
  status: number;
  body: unknown;
  /** Set for errors: the `x-amzn-ErrorType`. */
  errorType?: string;
}

const error = (status: number, errorType: string, message: string): ControlAnswer => ({
  status,
  errorType,
  body: { message },
});

/** The answer to a control request, or undefined when `path` is not one. */
export function controlRequest(
  req: Pick<http.IncomingMessage, 'method'>,
  path: string,
  body: Buffer,
  parts: { stats: LocalStats; faults: FaultInjector },
): ControlAnswer | undefined {
  const match = CONTROL_PATH.exec(path);
  if (!match) return undefined;
  const { stats, faults } = parts;
  const route = `${req.method} ${match[1]}`;
  switch (route) {
    case 'GET stats':
      return { status: 200, body: stats.snapshot() };
    case 'POST stats/reset':
      stats.reset();
      return { status: 200, body: stats.snapshot() };
    case 'GET faults':
      return { status: 200, body: faults.config };
    case 'PUT faults': {
      try {
        faults.set(parseFaults(JSON.parse(body.toString('utf8') || '{}')));
      } catch (caught) {
        const message =
          caught instanceof FaultConfigError ? caught.message : `the body is not JSON: ${(caught as Error).message}`;
        return error(400, 'BadRequestException', message);
      }
      return { status: 200, body: faults.config };
    }
    case 'DELETE faults':
      faults.set({});
      return { status: 200, body: faults.config };
    default:
      return error(405, 'MethodNotAllowedException', `${req.method} is not allowed on ${path}`);
  }
}
