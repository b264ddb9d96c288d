/**
 * The ConnectionNotifier contract: what shared/core/ports.ts promises of a
 * post to one connection, run against the fan-out tests' FakeNotifier
 * (test/unit/core/notifier.test.ts) and the Management API adapter on the
 * local stack's API Gateway emulator (test/integration/acceptance/notifier.test.ts):
 * a frame reaches an open connection exactly as posted, and a connection that
 * has closed answers 'gone' (the fan-out's cue to drop it), never an error;
 * `close` ends a connection as API Gateway's DeleteConnection does (code
 * 1000) and is no error for one already gone.
 */
import type { ConnectionNotifier } from '#shared/core/ports';

export interface OpenConnection {
  connectionId: string;
  /** The next frame this connection receives. */
  nextFrame(): Promise<string>;
  /** Closes the connection and resolves once the far side has seen it close. */
  close(): Promise<void>;
  /** Resolves with the close code once the server has closed the connection. */
  closedByServer(): Promise<number>;
}

export interface NotifierSubject {
  notifier: ConnectionNotifier;
  open(): Promise<OpenConnection>;
}

export function describeNotifierContract(name: string, subject: () => NotifierSubject): void {
  describe(`ConnectionNotifier contract: ${name}`, () => {
    it('delivers a frame to an open connection exactly as posted, and says so', async () => {
      const { notifier, open } = subject();
      const connection = await open();
      const frame = JSON.stringify({ type: 'messages', messages: [], note: 'héllo, 世界 ✓' });

      const next = connection.nextFrame();
      await expect(notifier.post(connection.connectionId, frame)).resolves.toBe('sent');
      await expect(next).resolves.toBe(frame);
      await connection.close();
    });

    it('answers gone, without throwing, for a connection that has closed', async () => {
      const { notifier, open } = subject();
      const connection = await open();
      await connection.close();

      await expect(notifier.post(connection.connectionId, '{"type":"messages","messages":[]}')).resolves.toBe('gone');
    });

    it('closes an open connection with 1000, after which it is gone', async () => {
      const { notifier, open } = subject();
      const connection = await open();
      const closed = connection.closedByServer();

      await notifier.close(connection.connectionId);

      await expect(closed).resolves.toBe(1000);
      await expect(notifier.post(connection.connectionId, '{"type":"messages","messages":[]}')).resolves.toBe('gone');
    });

    it('closes a connection already gone without throwing', async () => {
      const { notifier, open } = subject();
      const connection = await open();
      await connection.close();

      await expect(notifier.close(connection.connectionId)).resolves.toBeUndefined();
    });
  });
}
