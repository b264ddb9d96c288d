/** What the `data` of each action's reply holds: the protocol's own map, re-exported for clients. */
export { PAGED_ACTIONS, type ActionResults, type PagedAction } from '#shared/protocol/results';
