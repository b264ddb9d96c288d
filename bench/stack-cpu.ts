/**
 * CPU time of the local stack's process, split into its main thread and the
 * rest, read from Linux's /proc/{pid}/task/{tid}/stat around a measured
 * window. The split is what separates the handlers from the emulators: the
 * main thread runs the API Gateway, SNS and Management API emulators (none of
 * which is Lambda CPU in AWS), the worker threads run the handlers
 * (local/functions.ts). Node's own helper threads (garbage collection)
 * land with the workers, which overstates the handlers a little.
 *
 * Elsewhere than Linux, or once the process is gone, there is no reading.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Linux reports /proc times in USER_HZ ticks, 100 per second on every architecture Node ships for. */
const TICKS_PER_SECOND = 100;

export interface ThreadCpu {
  /** CPU (user + system) of the main thread, ms. */
  mainThreadMs: number;
  /** CPU of every other thread of the process, ms. */
  otherThreadsMs: number;
}

/** utime + stime of one /proc stat line, ms. The command name in parentheses may hold spaces. */
export function cpuMsOfStatLine(line: string): number {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of the line, utime 14 and stime 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** The process's CPU so far, or undefined when /proc cannot tell. */
export function readThreadCpu(pid: number): ThreadCpu | undefined {
  try {
    let mainThreadMs = 0;
    let otherThreadsMs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let ms: number;
      try {
        ms = cpuMsOfStatLine(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      } catch {
        continue; // the thread ended while we read the list
      }
      if (Number(tid) === pid) mainThreadMs += ms;
      else otherThreadsMs += ms;
    }
    return { mainThreadMs, otherThreadsMs };
  } catch {
    return undefined;
  }
}

/**
 * CPU spent between two readings. A thread that ended in between takes its
 * time with it, so a negative share is clamped to zero.
 */
export function diffThreadCpu(before: ThreadCpu, after: ThreadCpu): ThreadCpu {
  return {
    mainThreadMs: Math.max(0, after.mainThreadMs - before.mainThreadMs),
    otherThreadsMs: Math.max(0, after.otherThreadsMs - before.otherThreadsMs),
  };
}
