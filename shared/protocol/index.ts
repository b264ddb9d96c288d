/** Wire protocol v1: limits, request schemas, data shapes and server frames. */
export * from './connect';
export * from './limits';
export * from './requests';
export type { ActionArgs, EventArgs, RequestEnvelope } from './args';
export * from './messages';
export * from './types';
export * from './results';
