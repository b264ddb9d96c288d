/** The mesh core: domain rules and use cases, with the ports they need. No AWS imports. */
export * from './errors';
export * from './model';
export * from './ports';
export * from './settings';
export * from './liveness';
export * from './presenters';
export * from './pushes';
export * from './paging';
export { runAction, type ActionResult } from './actions';
export { deliverPush, FanoutFailed, type FanoutOutcome } from './fanout';
export { DEFAULT_COALESCING, flushOutbox, OUTBOX_LIMITS, OutboxPublisher, type FlushOutcome } from './outbox';
