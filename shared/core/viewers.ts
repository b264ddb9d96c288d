/**
 * Console viewers among a group's subscriptions: a viewer's subscription
 * carries this node id, which no member's can (the protocol's node ids are
 * the client's, and the fan-out only skips a push for the subscriber that
 * sent it). Viewers are posted to like members but take no member's place.
 */
import { CONSOLE_LOG } from '../protocol/console';
import type { ConnectionRecord, Subscriber } from './model';

export const VIEWER_NODE_ID = '~console';

export function isViewer(subscriber: Subscriber): boolean {
  return subscriber.nodeId === VIEWER_NODE_ID;
}

/** A connection record putViewer wrote: the connection is a console viewer, not a node. */
export function isViewerConnection(connection: ConnectionRecord): boolean {
  return (
    connection.nodeId === VIEWER_NODE_ID &&
    connection.groupId === CONSOLE_LOG.groupId &&
    connection.domain === CONSOLE_LOG.domain
  );
}
