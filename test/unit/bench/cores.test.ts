/**
 * Cores needed: the CPU one message cost in the base window times the
 * profile's message rate, for the stack + DynamoDB Local and, apart, for the
 * load workers; and the --handler-threads flag that sets the stack's threads.
 */
import { coresAtRate, coresNeededOf, formatCoresNeeded } from '../../../bench/cores';
import { DEFAULT_OPTIONS, parseArgs, profileMessagesPerSecond } from '../../../bench/options';
import { diffProcessCpu, readProcessCpuMs } from '../../../bench/process-cpu';

test('the Mesh v2 profile hands the clients 170 messages a second at ×1', () => {
  expect(profileMessagesPerSecond(DEFAULT_OPTIONS)).toBe(170);
  expect(profileMessagesPerSecond({ groups: 2, statusRate: 15, batchRate: 2 })).toBe(34);
});

test('turns CPU per message into cores at the profile rate and at the multiplier', () => {
  // ×0.5 for 10 s: 850 messages; 4 s of CPU is 4.706 ms a message.
  const at = coresAtRate(4000, 850, 170, 0.5);
  expect(at.cpuMsPerMessage).toBe(4.706);
  // 4.706 ms × 170 /s = 800 ms of CPU a second: 0.8 of a core at ×1, half of it at ×0.5.
  expect(at.atProfile).toBe(0.8);
  expect(at.atMultiplier).toBe(0.4);
});

test('a window without messages counts its CPU as one message, so the JSON never holds Infinity', () => {
  expect(coresAtRate(120, 0, 170, 1)).toEqual({
    cpuMs: 120,
    cpuMsPerMessage: 120,
    atProfile: 20.4,
    atMultiplier: 20.4,
  });
});

test('the system is the stack and its DynamoDB Local; the load workers are counted apart', () => {
  const cores = coresNeededOf({ stackMs: 1700, dynamodbLocalMs: 850, loadWorkersMs: 425 }, 1700, 170, 2);
  expect(cores.system).toMatchObject({ cpuMs: 2550, cpuMsPerMessage: 1.5, atProfile: 0.255, atMultiplier: 0.51 });
  expect(cores.stack.atProfile).toBe(0.17);
  expect(cores.dynamodbLocal?.atProfile).toBe(0.085);
  expect(cores.loadWorkers).toMatchObject({ cpuMsPerMessage: 0.25, atProfile: 0.043, atMultiplier: 0.085 });
  expect(cores.includesDynamoDbLocal).toBe(true);
  expect(formatCoresNeeded(cores)).toBe(
    'cores needed (base window on this machine, ×1 = 170 messages/s): ' +
      'stack + DynamoDB Local 1.5 ms CPU/message (stack 1, JVM 0.5) → 0.255 cores at ×1, 0.51 at ×2; ' +
      'load workers 0.25 ms CPU/message → 0.043 cores at ×1, 0.085 at ×2',
  );
});

test('a shared DynamoDB Local is not this stack’s to read, and the line says so', () => {
  const cores = coresNeededOf({ stackMs: 1000, loadWorkersMs: 0 }, 1000, 170, 1);
  expect(cores.includesDynamoDbLocal).toBe(false);
  expect(cores.dynamodbLocal).toBeNull();
  expect(cores.system.atProfile).toBe(0.17);
  expect(formatCoresNeeded(cores)).toContain('stack 1 ms CPU/message (DynamoDB Local not read: a shared engine)');
});

test('process CPU is the difference of two readings; a JVM read only once is left out', () => {
  expect(
    diffProcessCpu(
      { stackMs: 100, dynamodbLocalMs: 50, loadWorkersMs: 10 },
      { stackMs: 350, dynamodbLocalMs: 80, loadWorkersMs: 30 },
    ),
  ).toEqual({
    stackMs: 250,
    dynamodbLocalMs: 30,
    loadWorkersMs: 20,
  });
  expect(
    diffProcessCpu({ stackMs: 100, loadWorkersMs: 0 }, { stackMs: 150, dynamodbLocalMs: 80, loadWorkersMs: 0 }),
  ).toEqual({ stackMs: 50, loadWorkersMs: 0 });
});

(process.platform === 'linux' ? test : test.skip)(
  'reads a living process’s CPU from /proc, and nothing for one that is gone',
  () => {
    expect(readProcessCpuMs(process.pid)).toBeGreaterThanOrEqual(0);
    expect(readProcessCpuMs(2 ** 22 + 1)).toBeUndefined();
  },
);

describe('--handler-threads', () => {
  test('passes a spec the stack accepts', () => {
    expect(parseArgs(['--handler-threads', 'request:2,fanout:2']).handlerThreads).toBe('request:2,fanout:2');
    expect(parseArgs(['--handler-threads=2']).handlerThreads).toBe('2');
    expect(parseArgs([]).handlerThreads).toBeUndefined();
  });

  test('refuses what the stack would refuse, in the flag’s name', () => {
    expect(() => parseArgs(['--handler-threads', 'requests:2'])).toThrow(
      /^--handler-threads: unknown function "requests"/,
    );
    expect(() => parseArgs(['--handler-threads', 'request:17'])).toThrow(
      /^--handler-threads: "17" is not a thread count/,
    );
    expect(() => parseArgs(['--handler-threads', 'request'])).toThrow(
      /^--handler-threads: "request" is not function:threads/,
    );
    expect(() => parseArgs(['--handler-threads='])).toThrow(/needs a spec/);
  });

  test('refuses the runs where it would do nothing', () => {
    expect(() => parseArgs(['--handler-threads', 'request:2', '--url', 'ws://localhost:3001'])).toThrow(
      /with --url there is none/,
    );
    expect(() => parseArgs(['--handler-threads', 'request:2', '--profile'])).toThrow(/--profile/);
  });
});
