/**
 * The status rate limiter. `setData` merges values by key into the node's
 * status; only keys whose value changed are reported; at most `maxReports`
 * reports leave per `windowMs` (Mesh v2's extension: a few per 250 ms), and a
 * key changed many times in between is sent once with its latest value, so
 * the latest value is never dropped. Every `fullResendIntervalMs` the whole
 * status is sent again, so a node that joined late (or missed a push)
 * converges. One report is in flight at a time, so reports reach the server,
 * and get their push sequence numbers, in the order they were made.
 */
import { isWellFormed, LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { StatusEntry } from '#shared/protocol/types';
import { MeshError } from './errors';

/** What the sender reports back: the report went out, must be retried later, or was refused for good. */
export type SendOutcome = 'sent' | 'retry' | 'dropped';

export interface StatusLimiterOptions {
  /** Reports allowed per window. Default 4. */
  maxReports?: number;
  /** The window, in ms. Default 250. */
  windowMs?: number;
  /** Interval of the full re-send; 0 turns it off. Default 10,000 ms. */
  fullResendIntervalMs?: number;
  /** Byte budget of one report's entries (as JSON), so the message stays ≤ 32 KB. */
  maxReportBytes?: number;
  /** Sends one report (a `reportDataByNode`). */
  send: (entries: StatusEntry[]) => Promise<SendOutcome>;
}

export const LIMITER_DEFAULTS = {
  maxReports: 4,
  windowMs: 250,
  fullResendIntervalMs: 10_000,
  /** 32 KB less room for the envelope (action, ids, domain ≤ 256 chars, …). */
  maxReportBytes: LIMITS.maxClientMessageBytes - 2048,
} as const;

export type StatusValue = string | number | boolean;

export class StatusLimiter {
  private readonly maxReports: number;
  private readonly windowMs: number;
  private readonly fullResendIntervalMs: number;
  private readonly maxReportBytes: number;
  private readonly send: StatusLimiterOptions['send'];

  private readonly values = new Map<string, string>();
  private readonly dirty = new Set<string>();
  /** Times the reports of the current window left. */
  private sentAt: number[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private resendTimer: ReturnType<typeof setInterval> | null = null;
  private inFlight: Promise<void> | null = null;
  private active = false;
  /** Reports sent since creation. */
  reportsSent = 0;

  constructor(options: StatusLimiterOptions) {
    this.maxReports = options.maxReports ?? LIMITER_DEFAULTS.maxReports;
    this.windowMs = options.windowMs ?? LIMITER_DEFAULTS.windowMs;
    this.fullResendIntervalMs = options.fullResendIntervalMs ?? LIMITER_DEFAULTS.fullResendIntervalMs;
    this.maxReportBytes = options.maxReportBytes ?? LIMITER_DEFAULTS.maxReportBytes;
    this.send = options.send;
  }

  /** The node's own status as last set (all keys). */
  data(): Record<string, string> {
    return Object.fromEntries(this.values);
  }

  /** Keys waiting to be reported. */
  pendingKeys(): string[] {
    return [...this.dirty];
  }

  /**
   * Merges `changes` into the status and schedules a report of the keys whose
   * value changed. Throws a ValidationError (and changes nothing) when a key or
   * value breaks a protocol limit or the merged status would exceed 16 KB.
   */
  set(changes: Record<string, StatusValue>): void {
    const next = new Map(this.values);
    const changed: string[] = [];
    for (const [key, raw] of Object.entries(changes)) {
      const value = String(raw);
      validateEntry(key, value);
      if (next.get(key) === value) continue;
      next.set(key, value);
      changed.push(key);
    }
    if (changed.length === 0) return;
    const bytes = utf8Bytes(JSON.stringify(Object.fromEntries(next)));
    if (bytes > LIMITS.maxStatusBytesPerNode) {
      throw new MeshError(
        'ValidationError',
        `status would be ${bytes} bytes as JSON; a node's status holds at most ${LIMITS.maxStatusBytesPerNode}`,
      );
    }
    for (const key of changed) {
      this.values.set(key, next.get(key)!);
      this.dirty.add(key);
    }
    this.schedule();
  }

  /** Starts reporting (in a group): pending keys go out, the full re-send runs. */
  start(): void {
    if (this.active) return;
    this.active = true;
    if (this.fullResendIntervalMs > 0) {
      this.resendTimer = setInterval(() => this.markAllDirty(), this.fullResendIntervalMs);
    }
    this.schedule();
  }

  /** Stops reporting (out of a group, or the connection is down); values and pending keys are kept. */
  stop(): void {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.timer = null;
    this.resendTimer = null;
  }

  /** Marks every key for the next report (the full re-send). */
  markAllDirty(): void {
    for (const key of this.values.keys()) this.dirty.add(key);
    this.schedule();
  }

  /** Forgets what is pending (leaving a group); values are kept for the next group. */
  clearPending(): void {
    this.dirty.clear();
  }

  /**
   * Sends every pending key now, as fast as the cap allows, and resolves when
   * nothing is pending or the sender asked to retry later.
   */
  async flush(): Promise<void> {
    for (;;) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (!this.active || this.dirty.size === 0) return;
      const wait = this.waitMs();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const outcome = await this.reportNow();
      if (outcome === 'retry') return;
    }
  }

  private schedule(): void {
    if (!this.active || this.timer || this.inFlight || this.dirty.size === 0) return;
    // A zero delay still waits for the current task, so `setData` calls made
    // together (one Scratch frame) go out as one report.
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.waitMs() > 0) {
        this.schedule();
        return;
      }
      void this.reportNow();
    }, this.waitMs());
  }

  /** How long until the window allows another report. */
  private waitMs(): number {
    const now = Date.now();
    this.sentAt = this.sentAt.filter((at) => now - at < this.windowMs);
    if (this.sentAt.length < this.maxReports) return 0;
    return this.sentAt[0] + this.windowMs - now;
  }

  private reportNow(): Promise<SendOutcome> {
    const entries = this.takeReport();
    if (entries.length === 0) return Promise.resolve('sent');
    this.sentAt.push(Date.now());
    this.reportsSent += 1;
    let outcome: SendOutcome = 'retry';
    const run = this.send(entries)
      .then(
        (result) => {
          outcome = result;
        },
        () => {
          outcome = 'retry';
        },
      )
      .then(() => {
        // A report that must be retried puts its keys back; a key set again in
        // the meantime is pending anyway and keeps its newer value.
        if (outcome === 'retry') for (const entry of entries) this.dirty.add(entry.key);
        this.inFlight = null;
        // Still active after a retry means the connection is up (the client
        // stops the limiter when it drops): try again within the cap.
        this.schedule();
      });
    this.inFlight = run;
    return run.then(() => outcome);
  }

  /** Takes pending keys, up to the per-report limits, with their latest values. */
  private takeReport(): StatusEntry[] {
    const entries: StatusEntry[] = [];
    let bytes = 2;
    for (const key of this.dirty) {
      if (entries.length >= LIMITS.maxStatusKeysPerReport) break;
      const entry = { key, value: this.values.get(key)! };
      const size = utf8Bytes(JSON.stringify(entry)) + 1;
      if (entries.length > 0 && bytes + size > this.maxReportBytes) break;
      entries.push(entry);
      bytes += size;
    }
    for (const entry of entries) this.dirty.delete(entry.key);
    return entries;
  }
}

function validateEntry(key: string, value: string): void {
  if (key.length === 0 || key.length > LIMITS.maxStatusKeyLength) {
    throw new MeshError('ValidationError', `status key must be 1–${LIMITS.maxStatusKeyLength} characters`);
  }
  if (value.length > LIMITS.maxStatusValueLength) {
    throw new MeshError(
      'ValidationError',
      `status value of "${key}" is ${value.length} characters; at most ${LIMITS.maxStatusValueLength}`,
    );
  }
  if (!isWellFormed(key) || !isWellFormed(value)) {
    throw new MeshError('ValidationError', `status "${key}" is not well-formed Unicode (it holds a lone surrogate)`);
  }
}
