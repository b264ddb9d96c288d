/**
 * Loading a group whole into the mirror, on entering it and after a
 * reconnect: every node's status (listGroupStatuses) and who is in it
 * (listNodesInGroup), read at once. Presence pushes that come while the list
 * is on its way are replayed over it (roster.ts), so a join or leave in
 * between is neither lost nor announced twice.
 */
import { allPages, type Send } from './requests';
import type { GroupRef, StatusMirror } from './status-mirror';

/** `stillIn` false when the answers come: the client has left that group meanwhile, and they are dropped. */
export async function loadGroup(send: Send, group: GroupRef, mirror: StatusMirror, stillIn: () => boolean) {
  const where = { groupId: group.groupId, domain: group.domain };
  mirror.roster.beginLoad();
  try {
    const [statuses, nodes] = await Promise.all([
      allPages(send, 'listGroupStatuses', where),
      allPages(send, 'listNodesInGroup', where),
    ]);
    if (!stillIn()) return;
    mirror.load(statuses);
    mirror.roster.load(
      nodes.map((node) => node.id),
      where,
    );
  } finally {
    mirror.roster.abortLoad();
  }
}
