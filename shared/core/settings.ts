/** Time settings and limits of the mesh (the MESH_* variables; see shared/config.ts). */
export interface MeshSettings {
  hostHeartbeatIntervalSeconds: number;
  hostHeartbeatTtlSeconds: number;
  memberHeartbeatIntervalSeconds: number;
  memberHeartbeatTtlSeconds: number;
  maxConnectionTimeSeconds: number;
  eventTtlSeconds: number;
  pollingIntervalSeconds: number;
  /** Connected members a group takes (the host included); a join past it is LimitExceeded. */
  maxMembersPerGroup: number;
  /** Live groups a domain takes; a new group past it is LimitExceeded. */
  maxGroupsPerDomain: number;
  /** Requests per second one connection may send, on average (a token bucket; over it, RateLimited). */
  connectionRequestsPerSecond: number;
  /** Requests one connection may send at once before its rate applies (the bucket's size). */
  connectionRequestBurst: number;
  /**
   * Refused requests a connection may send, beyond what its rate refills,
   * before the mesh closes it: a program that keeps sending at well over its
   * rate is cut off instead of being refused forever.
   */
  connectionRefusalsBeforeClose: number;
  /**
   * How long a member's node waits, after its WebSocket closed, for the
   * client to come back before the sweeper drops it (a `disconnected`
   * presence push). A reconnect within it goes unnoticed by the others.
   */
  disconnectGraceSeconds: number;
}

/** Mesh v2's defaults. */
export const DEFAULT_SETTINGS: MeshSettings = {
  hostHeartbeatIntervalSeconds: 60,
  hostHeartbeatTtlSeconds: 150,
  memberHeartbeatIntervalSeconds: 120,
  memberHeartbeatTtlSeconds: 600,
  maxConnectionTimeSeconds: 1500,
  // Retention of the group log: long enough for a client to recover from a two-minute drop.
  eventTtlSeconds: 180,
  pollingIntervalSeconds: 2,
  // Mesh v2 had no caps. A class is some 40 pupils and a school some dozens of classes.
  maxMembersPerGroup: 100,
  maxGroupsPerDomain: 100,
  // MeshClient sends at most 16 status reports and 4 event batches a second, plus heartbeats.
  connectionRequestsPerSecond: 30,
  connectionRequestBurst: 60,
  // A client that backs off after a RateLimited reply (MeshClient does) never comes near it.
  connectionRefusalsBeforeClose: 60,
  // MeshClient's reconnects back off to a few seconds; a dropped Wi-Fi comes back within this.
  disconnectGraceSeconds: 30,
};

/**
 * How the fan-out gathers a group's pushes into rounds (shared/core/fanout/flush.ts).
 * The window between the starts of two rounds of a group adapts to its push rate between
 * the two bounds: a sparse group is posted to at once, a busy one gets one
 * frame per member per window however many pushes it carries.
 */
export interface FanoutSettings {
  /** The shortest window, for a group sending a push now and then. */
  windowMinMs: number;
  /** The longest window, for the busiest groups (the Mesh extension batches its own events every 250–1000 ms). */
  windowMaxMs: number;
  /** A flush that has not made progress for this long is dead: an append or the sweeper starts another. */
  staleFlushMs: number;
  /** A flush that has run this long hands over to a new invocation (Lambda's timeout must be well above). */
  maxFlushMs: number;
}

/** The fan-out's defaults (docs/performance.md says how the bounds were chosen). */
export const DEFAULT_FANOUT: FanoutSettings = {
  windowMinMs: 50,
  windowMaxMs: 1000,
  staleFlushMs: 5000,
  maxFlushMs: 10_000,
};

/** PostToConnection calls one fan-out invocation runs at once. */
export const DEFAULT_FANOUT_CONCURRENCY = 32;

/** The longest fan-out window allowed: a member waits at most this long for a frame. */
export const MAX_FANOUT_WINDOW_MS = 5000;

/**
 * The rules the fan-out's settings keep against each other, as sentences
 * naming each setting by `nameOf` (the handlers' env names, the Pulumi
 * program's `mesh:` keys); empty when they hold. A flush refreshes its mark
 * once a round, and rounds are up to a window apart, so a flush is stale only
 * after more than the longest window.
 */
export function fanoutSettingsProblems(
  settings: FanoutSettings,
  nameOf: (key: keyof FanoutSettings) => string,
): string[] {
  const { windowMinMs, windowMaxMs, staleFlushMs } = settings;
  const problems: string[] = [];
  if (windowMaxMs < windowMinMs) {
    problems.push(
      `${nameOf('windowMaxMs')} (${windowMaxMs}) must not be below ${nameOf('windowMinMs')} (${windowMinMs})`,
    );
  }
  if (windowMaxMs > MAX_FANOUT_WINDOW_MS) {
    problems.push(`${nameOf('windowMaxMs')} must be at most ${MAX_FANOUT_WINDOW_MS}, got ${windowMaxMs}`);
  }
  if (staleFlushMs <= windowMaxMs) {
    problems.push(
      `${nameOf('staleFlushMs')} (${staleFlushMs}) must be above ${nameOf('windowMaxMs')} (${windowMaxMs})`,
    );
  }
  return problems;
}
