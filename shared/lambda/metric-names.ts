/**
 * The names of the mesh's own CloudWatch metrics: the one list the handlers
 * emit (metrics.ts), the alarms and the dashboard plot (infra/metrics.ts)
 * and the local stack's stats show at 0 (local/stats.ts). A module of its
 * own, with no imports, so that the Pulumi program and the local stack read
 * the names without loading Powertools.
 */

/** Every metric of the `Mesh` namespace, by name; each is a Count, with the `service` dimension only. */
export const METRIC_NAMES = {
  /** Fan-out: frames posted to connections (one frame may carry several pushes). */
  framesPosted: 'FramesPosted',
  /** Fan-out: posts answered 410, the connection gone; its node is dropped. */
  gonePosts: 'GonePosts',
  /** Fan-out: posts tried again after a throttle or an API Gateway error. */
  postRetries: 'PostRetries',
  /** Fan-out: posts given up for a connection after every retry: a member missed pushes. */
  abandonedPosts: 'AbandonedPosts',
  /** Sweeper: flushes restarted for groups whose flush had died or whose request was lost. */
  flushesRestarted: 'FlushesRestarted',
  /** Sweeper: member nodes dropped (heartbeat lapsed, or gone past the disconnect grace) and announced. */
  nodesDropped: 'NodesDropped',
  /** Request functions: createGroup results (a group made, or a host back in its group). */
  groupsCreated: 'GroupsCreated',
  /** Request functions: joinGroup results. */
  joins: 'Joins',
  /** Request functions: accepted push requests (request-metrics.ts's PUSHING_ACTIONS), one per result reply. */
  pushes: 'Pushes',
  /** Request functions: requests refused with RateLimited. */
  rateLimited: 'RateLimited',
  /** HTTPS function: requests it was invoked for, refused ones included. */
  pollingRequests: 'PollingRequests',
  /** HTTPS function: requests that say their client fell back from the WebSocket to polling (`transportFallback`). */
  pollingFallbacks: 'PollingFallbacks',
  /** Request functions: InternalError replies (a dependency failed; the detail is in the log). */
  errors: 'Errors',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
