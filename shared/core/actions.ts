/**
 * The request entry point of the core: one table from action to use case. The
 * request handler (and the local stack, which runs the same handler) calls
 * `runAction` with a request already validated by the protocol schemas.
 */
import type { Action, AnyRequest, RequestOf } from '../protocol/requests';
import { ValidationError } from './errors';
import type { Caller } from './model';
import type { MeshDeps } from './ports';
import { requireDomainAllowed } from './principals';
import { dissolveGroup } from './use-cases/dissolve';
import { createDomain, createGroup, listGroupsByDomain, searchGroupsByNamePrefix } from './use-cases/groups';
import { renewHeartbeat, sendMemberHeartbeat } from './use-cases/heartbeats';
import { joinGroup, leaveGroup } from './use-cases/membership';
import { getNodeStatus, listGroupStatuses, listNodesInGroup } from './use-cases/queries';
import { fireEventsByNode } from './use-cases/events';
import { reportDataByNode } from './use-cases/status';
import { getEventsSince, getPushesSince, pollGroupData, recordEventsByNode } from './use-cases/polling';
import { unwatchMesh, watchGroup, watchMesh } from './use-cases/console';

/** What a result reply carries: `data`, and `nextToken` for list actions with more to read. */
export interface ActionResult {
  data: unknown;
  nextToken?: string;
}

type Run<A extends Action> = (request: RequestOf<A>, caller: Caller, deps: MeshDeps) => Promise<ActionResult>;

/** Wraps a use case whose whole result is the reply's `data`. */
function data<A extends Action>(
  useCase: (request: RequestOf<A>, caller: Caller, deps: MeshDeps) => Promise<unknown>,
): Run<A> {
  return async function runForData(request, caller, deps) {
    return { data: await useCase(request, caller, deps) };
  };
}

/** Every action of protocol v1. List actions return a Page ({data, nextToken?}) themselves. */
const ACTION_TABLE: { [A in Action]: Run<A> } = {
  createDomain: data(createDomain),
  createGroup: data(createGroup),
  listGroupsByDomain: data(listGroupsByDomain),
  searchGroupsByNamePrefix: data(searchGroupsByNamePrefix),
  joinGroup: data(joinGroup),
  leaveGroup: data(leaveGroup),
  dissolveGroup: data(dissolveGroup),
  renewHeartbeat: data(renewHeartbeat),
  sendMemberHeartbeat: data(sendMemberHeartbeat),
  reportDataByNode: data(reportDataByNode),
  fireEventsByNode: data(fireEventsByNode),
  getNodeStatus: data(getNodeStatus),
  listGroupStatuses,
  listNodesInGroup,
  recordEventsByNode: data(recordEventsByNode),
  getEventsSince: data(getEventsSince),
  pollGroupData,
  getPushesSince: data(getPushesSince),
  watchMesh: data(watchMesh),
  watchGroup: data(watchGroup),
  unwatchMesh: data(unwatchMesh),
};

/**
 * Runs one validated request for `caller`. Throws a MeshError (GroupNotFound,
 * NodeNotFound, Unauthorized, ValidationError) for the caller to turn into an
 * error reply; anything else thrown is a failure of a dependency. A domain
 * the caller's credential does not allow is refused here (principals.ts).
 */
export async function runAction(request: AnyRequest, caller: Caller, deps: MeshDeps): Promise<ActionResult> {
  if (!Object.prototype.hasOwnProperty.call(ACTION_TABLE, request.action)) {
    throw new ValidationError(`unknown action: ${String(request.action)}`);
  }
  // Every action that names a domain names it as `domain`: one check covers them all.
  if ('domain' in request && typeof request.domain === 'string') requireDomainAllowed(caller, request.domain);
  const run = ACTION_TABLE[request.action] as Run<Action>;
  return run(request as never, caller, deps);
}
