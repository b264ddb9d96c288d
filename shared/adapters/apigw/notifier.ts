/**
 * The ConnectionNotifier on API Gateway's Management API: PostToConnection
 * sends one frame to one WebSocket connection, DeleteConnection closes one.
 *
 * A 410 GoneException means the client has left (its $disconnect may still be
 * on its way, or may never come): the caller cleans that connection up. Any
 * other failure is thrown: the fan-out retries it (shared/core/fanout/post.ts).
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionNotifier } from '#shared/core/ports';

const encoder = new TextEncoder();

export class ManagementApiNotifier implements ConnectionNotifier {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async post(connectionId: string, frame: string): Promise<'sent' | 'gone'> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(frame) }));
      return 'sent';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }

  async close(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}

/** GoneException by class or by name (another copy of the SDK), or a bare 410. */
export function isGone(error: unknown): boolean {
  if (error instanceof GoneException) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'GoneException' || $metadata?.httpStatusCode === 410;
}
