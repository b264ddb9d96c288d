/** What the `data` of each action's result reply holds (the Mesh v2 shapes). */
import type { Action } from './args';
import type { MeshSnapshot } from './console';
import type { Push } from './messages';
import type {
  Group,
  HeartbeatPayload,
  LeaveGroupPayload,
  MemberHeartbeatPayload,
  MeshMessage,
  Node,
  NodeStatus,
  NodeTokenGrant,
  SenderPositions,
  PolledEvent,
  PollGroupData,
  RecordEventsPayload,
} from './types';

export interface ActionResults {
  createDomain: string;
  createGroup: Group & NodeTokenGrant;
  listGroupsByDomain: Group[];
  searchGroupsByNamePrefix: Group[];
  joinGroup: Node & NodeTokenGrant & SenderPositions;
  leaveGroup: LeaveGroupPayload;
  dissolveGroup: MeshMessage;
  renewHeartbeat: HeartbeatPayload;
  sendMemberHeartbeat: MemberHeartbeatPayload;
  reportDataByNode: MeshMessage;
  fireEventsByNode: MeshMessage;
  getNodeStatus: NodeStatus | null;
  listGroupStatuses: NodeStatus[];
  listNodesInGroup: Node[];
  recordEventsByNode: RecordEventsPayload;
  getEventsSince: PolledEvent[];
  pollGroupData: PollGroupData;
  getPushesSince: PushesSince;
  watchMesh: MeshSnapshot;
  watchGroup: NodeStatus[];
  unwatchMesh: { viewers: number };
}

/**
 * getPushesSince's answer: the group's pushes from a log position on, as
 * they were pushed (each with its `pos`), and where to read on from. A client
 * back from a drop reads until `pushes` is empty.
 */
export interface PushesSince {
  pushes: Push[];
  nextPos: number;
}

/** Actions whose replies come in pages (`nextToken`). */
export const PAGED_ACTIONS = ['listGroupStatuses', 'listNodesInGroup'] as const satisfies readonly Action[];
export type PagedAction = (typeof PAGED_ACTIONS)[number];
