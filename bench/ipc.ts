/** Messages between the bench (bench/run.ts) and its load workers (bench/worker.ts), over the fork IPC channel. */
import type { GroupPlan } from './drivers/types';
import type { DeliveryCounts } from './ledger';

export type TargetKind = 'mesh' | 'baseline';

export interface LoadProfile {
  statusPerSecPerGroup: number;
  batchesPerSecPerGroup: number;
  /** Events per batch, drawn uniformly from [min, max]. */
  eventsPerBatch: { min: number; max: number };
}

export interface PhaseCommand {
  type: 'phase';
  phase: number;
  multiplier: number;
  profile: LoadProfile;
  /** Epoch ms at which every worker starts sending (so all workers share one window). */
  startAt: number;
  warmupMs: number;
  measureMs: number;
  /** How long to wait after the last send for deliveries still in flight. */
  drainMs: number;
}

export type ToWorker =
  | { type: 'open'; target: TargetKind; url: string; groups: GroupPlan[]; workerIndex: number }
  | PhaseCommand
  | { type: 'close' };

export interface PhaseResult {
  phase: number;
  multiplier: number;
  /** Measured items handed to the client (status values set + events fired). */
  handed: number;
  /** Measured items that left on the wire; fewer than handed when the client merged status values. */
  sent: number;
  statusReports: number;
  eventBatches: number;
  events: number;
  /** Client messages the transport sent during the whole phase (after client-side batching). */
  clientMessages: number;
  expectedDeliveries: number;
  app: DeliveryCounts;
  raw: DeliveryCounts;
  /** hdr-histogram-js compressed base64, µs. */
  histogram: string;
  /** Time from the end of sending until every expected delivery arrived (or the drain gave up). */
  drainedMs: number;
}

export type FromWorker =
  | { type: 'opened'; nodes: number }
  | { type: 'progress'; phase: number; sent: number; expected: number; delivered: number; histogram: string }
  | { type: 'phaseDone'; result: PhaseResult }
  | { type: 'failed'; message: string }
  | { type: 'closed' };
