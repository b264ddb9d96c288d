/**
 * The WebSocket under MeshClient. Browsers have a native `WebSocket`; Node
 * programs use the `ws` package, loaded only when needed, so the browser
 * bundle never contains it (client/build.ts replaces it with an empty module).
 * Any constructor with the WHATWG WebSocket shape can be passed instead (tests
 * pass a fake).
 */

/** The part of the WHATWG WebSocket interface the client uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => SocketLike;

/** `readyState` of an open socket (the same in browsers, `ws` and fakes). */
export const OPEN = 1;

/**
 * The WebSocket to use: the one given, else `ws` in Node, else the global
 * `WebSocket` (browsers, Deno, Node ≥ 22).
 */
export async function resolveWebSocket(given?: WebSocketConstructor): Promise<WebSocketConstructor> {
  if (given) return given;
  if (isNode()) {
    const fromWs = await loadWs();
    if (fromWs) return fromWs;
  }
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (native) return native;
  throw new Error('no WebSocket implementation found: install `ws` or pass the WebSocket option');
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function loadWs(): Promise<WebSocketConstructor | null> {
  try {
    const mod = (await import('ws')) as unknown as { WebSocket?: unknown; default?: unknown };
    const ctor = mod.WebSocket ?? mod.default;
    return typeof ctor === 'function' ? (ctor as WebSocketConstructor) : null;
  } catch {
    return null;
  }
}

/**
 * Opens a socket and resolves once it is open. Rejects if it closes or errs
 * first, or does not open within `timeoutMs`.
 */
export function openSocket(Ctor: WebSocketConstructor, url: string, timeoutMs: number): Promise<SocketLike> {
  return new Promise((resolve, reject) => {
    let socket: SocketLike;
    try {
      socket = new Ctor(url);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const timer = setTimeout(() => {
      settle();
      socket.close();
      reject(new Error(`WebSocket did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = () => {
      clearTimeout(timer);
      socket.onopen = null;
      socket.onerror = null;
      socket.onclose = null;
    };
    socket.onopen = () => {
      settle();
      resolve(socket);
    };
    socket.onerror = () => {
      // `close` follows with the code; reject there.
    };
    socket.onclose = (event) => {
      settle();
      reject(new Error(`WebSocket closed before opening (code ${event.code})`));
    };
  });
}

/** The text of a message event (`ws` may hand over a Buffer). */
export function messageText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return String(data);
}
