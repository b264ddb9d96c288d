/**
 * CPU time of whole processes, read from Linux's /proc/{pid}/stat around a
 * measured window: the local stack, the DynamoDB Local JVM it spawned, and
 * the load workers. Unlike the per-thread reading of stack-cpu.ts, a
 * process's stat line keeps the time of threads that have already ended, so
 * nothing a window did is lost; the cores-needed figure (cores.ts) is built
 * on it.
 *
 * Elsewhere than Linux, or once a process is gone, there is no reading.
 */
import { readFileSync } from 'node:fs';
import { cpuMsOfStatLine } from './stack-cpu';

/** The processes of a run whose CPU is read. */
export interface BenchPids {
  stack: number;
  /** Absent when the stack shares an engine it did not spawn (MESH_DYNAMODB_ENDPOINT). */
  dynamodbLocal?: number;
  loadWorkers: number[];
}

/** CPU (user + system) of each part, ms. */
export interface ProcessCpu {
  stackMs: number;
  /** Absent when the JVM was not this stack's to read. */
  dynamodbLocalMs?: number;
  loadWorkersMs: number;
}

/** One process's CPU so far, ms, or undefined when /proc cannot tell. */
export function readProcessCpuMs(pid: number): number | undefined {
  try {
    return cpuMsOfStatLine(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every part's CPU so far; undefined when the stack or a load worker cannot be read (a partial sum would look like a cheap system). */
export function readProcessesCpu(pids: BenchPids): ProcessCpu | undefined {
  const stackMs = readProcessCpuMs(pids.stack);
  const workers = pids.loadWorkers.map(readProcessCpuMs);
  if (stackMs === undefined || workers.some((ms) => ms === undefined)) return undefined;
  const dynamodbLocalMs = pids.dynamodbLocal === undefined ? undefined : readProcessCpuMs(pids.dynamodbLocal);
  return {
    stackMs,
    ...(dynamodbLocalMs === undefined ? {} : { dynamodbLocalMs }),
    loadWorkersMs: workers.reduce<number>((total, ms) => total + (ms ?? 0), 0),
  };
}

/** CPU spent between two readings of the same processes. */
export function diffProcessCpu(before: ProcessCpu, after: ProcessCpu): ProcessCpu {
  const jvmReadBoth = before.dynamodbLocalMs !== undefined && after.dynamodbLocalMs !== undefined;
  return {
    stackMs: after.stackMs - before.stackMs,
    ...(jvmReadBoth ? { dynamodbLocalMs: after.dynamodbLocalMs! - before.dynamodbLocalMs! } : {}),
    loadWorkersMs: after.loadWorkersMs - before.loadWorkersMs,
  };
}
