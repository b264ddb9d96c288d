/** Small network helpers shared by the parts of the local stack. */
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';

/** Loopback: every local endpoint binds here unless a host is given. */
export const LOCAL_HOST = '127.0.0.1';

/**
 * A port that is free right now (for processes that cannot report the port they
 * bound, such as DynamoDB Local). Servers of this stack listen on port 0 instead.
 */
export function freePort(host = LOCAL_HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `server` on `port` (0 = any free port) and resolves with the port bound. */
export function listen(server: http.Server, port: number, host = LOCAL_HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Closes `server`, ending idle keep-alive sockets so it does not linger. */
export function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Reads a request body whole. */
export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A port from an env var; undefined when unset, an error when not a port number. */
export function portFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

/** A random id like AWS request ids (UUID v4 shape). */
export function requestId(): string {
  return crypto.randomUUID();
}

/** An X-Amzn-Trace-Id root: `Root=1-{epoch seconds, hex}-{24 hex digits}`. */
export function traceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/** `n` random bytes as URL-unsafe base64, the way API Gateway writes connection ids ('L0SM9cOFvHcCIhw='). */
export function base64Id(bytes: number): string {
  return randomBytes(bytes).toString('base64');
}
