/**
 * Opening a polling socket the way `openSocket` (../transport.ts) opens a
 * WebSocket: resolves once it is open. It opens on its own (HTTPS needs no
 * handshake), so this only waits for that turn.
 */
import type { SocketLike } from '../transport';
import { PollingSocket, type PollingSocketOptions } from './polling-socket';

export function openPollingSocket(options: PollingSocketOptions): Promise<SocketLike> {
  return new Promise((resolve) => {
    const socket = new PollingSocket(options);
    socket.onopen = () => {
      socket.onopen = null;
      resolve(socket);
    };
  });
}
