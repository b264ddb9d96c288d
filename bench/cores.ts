/**
 * How many cores the system needs to carry a load without queueing, measured
 * on this machine: the CPU one message cost in the base window, times the
 * message rate. A message is what the profile's rates count: a status report
 * or an event batch a client was handed (170/s at ×1 of the Mesh v2 profile).
 *
 * The CPU is read from the window's opening until its last delivery drained,
 * so the work of the window's messages is all in (and, about as much, the
 * warm-up's tail at the opening); the messages are the window's own.
 * The system is the stack process and the DynamoDB Local JVM: what the
 * serverless parts would run on. The load workers are the clients' side,
 * given separately.
 */
import type { ProcessCpu } from './process-cpu';

export interface CoresAtRate {
  /** CPU over the window, ms. */
  cpuMs: number;
  cpuMsPerMessage: number;
  /** Cores busy at ×1 of the profile. */
  atProfile: number;
  /** Cores busy at the measured multiplier. */
  atMultiplier: number;
}

export interface CoresNeeded {
  multiplier: number;
  /** Messages per second at ×1 (options.ts, profileMessagesPerSecond). */
  profileMessagesPerSec: number;
  /** Messages the profile handed the clients in the measured window. */
  messages: number;
  /** Stack process + DynamoDB Local JVM. */
  system: CoresAtRate;
  /** Whether the JVM was read (a shared engine is not this stack's): without it, system is the stack alone. */
  includesDynamoDbLocal: boolean;
  stack: CoresAtRate;
  dynamodbLocal: CoresAtRate | null;
  loadWorkers: CoresAtRate;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** CPU per message, and the cores that CPU keeps busy at the profile's rate and at the multiplier's. */
export function coresAtRate(
  cpuMs: number,
  messages: number,
  profileMessagesPerSec: number,
  multiplier: number,
): CoresAtRate {
  // JSON has no Infinity; the bench leaves out a window without messages anyway.
  const cpuMsPerMessage = cpuMs / Math.max(messages, 1);
  // ms of CPU per second of wall time, ÷ 1000 ms: cores.
  const cores = (messagesPerSec: number) => (cpuMsPerMessage * messagesPerSec) / 1000;
  return {
    cpuMs: Math.round(cpuMs),
    cpuMsPerMessage: round3(cpuMsPerMessage),
    atProfile: round3(cores(profileMessagesPerSec)),
    atMultiplier: round3(cores(profileMessagesPerSec * multiplier)),
  };
}

/** The cores-needed figures of a window's process CPU. */
export function coresNeededOf(
  cpu: ProcessCpu,
  messages: number,
  profileMessagesPerSec: number,
  multiplier: number,
): CoresNeeded {
  const at = (ms: number) => coresAtRate(ms, messages, profileMessagesPerSec, multiplier);
  return {
    multiplier,
    profileMessagesPerSec,
    messages,
    system: at(cpu.stackMs + (cpu.dynamodbLocalMs ?? 0)),
    includesDynamoDbLocal: cpu.dynamodbLocalMs !== undefined,
    stack: at(cpu.stackMs),
    dynamodbLocal: cpu.dynamodbLocalMs === undefined ? null : at(cpu.dynamodbLocalMs),
    loadWorkers: at(cpu.loadWorkersMs),
  };
}

/** The summary's line. */
export function formatCoresNeeded(c: CoresNeeded): string {
  const perMessage = (r: CoresAtRate) => `${r.cpuMsPerMessage} ms CPU/message`;
  const cores = (r: CoresAtRate) => `${r.atProfile} cores at ×1, ${r.atMultiplier} at ×${c.multiplier}`;
  const system = c.dynamodbLocal
    ? `stack + DynamoDB Local ${perMessage(c.system)} (stack ${c.stack.cpuMsPerMessage}, JVM ${c.dynamodbLocal.cpuMsPerMessage})`
    : `stack ${perMessage(c.system)} (DynamoDB Local not read: a shared engine)`;
  return (
    `cores needed (base window on this machine, ×1 = ${c.profileMessagesPerSec} messages/s): ` +
    `${system} → ${cores(c.system)}; load workers ${perMessage(c.loadWorkers)} → ${cores(c.loadWorkers)}`
  );
}
