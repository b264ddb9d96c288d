/** What the `data` of each action's reply holds (the Mesh v2 shapes of wire protocol v1). */
import type {
  Group,
  HeartbeatPayload,
  LeaveGroupPayload,
  MemberHeartbeatPayload,
  MeshMessage,
  Node,
  NodeStatus,
} from '#shared/protocol/types';

export interface ActionResults {
  createDomain: string;
  createGroup: Group;
  listGroupsByDomain: Group[];
  joinGroup: Node;
  leaveGroup: LeaveGroupPayload;
  dissolveGroup: MeshMessage;
  renewHeartbeat: HeartbeatPayload;
  sendMemberHeartbeat: MemberHeartbeatPayload;
  reportDataByNode: MeshMessage;
  fireEventsByNode: MeshMessage;
  getNodeStatus: NodeStatus | null;
  listGroupStatuses: NodeStatus[];
  listNodesInGroup: Node[];
}

/** Actions whose replies come in pages (`nextToken`). */
export const PAGED_ACTIONS = ['listGroupStatuses', 'listNodesInGroup'] as const;
export type PagedAction = (typeof PAGED_ACTIONS)[number];
