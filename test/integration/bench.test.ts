/**
 * The bench's short mode, run as users run it (`npm run bench -- …` is
 * `tsx bench/run.ts …`) against the stack the integration setup started
 * (--url / --stats-url), so no second stack and no second DynamoDB Local are
 * started. It checks the result's shape and exact delivery: every push reached
 * every other member of its group exactly once, in each sender's order, through
 * the mesh and through the baseline relay. It asserts no timings: this machine
 * is shared with the other integration tests.
 *
 * The load is 2 groups × 5 nodes instead of the Mesh v2 profile's 10 × 40:
 * the full profile saturates a 2-core machine's DynamoDB Local on its own
 * (docs/performance.md), and this test proves the counting, not the capacity.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchResult } from '../../bench/bench';
import type { PollingResult } from '../../bench/polling/result';
import { TEST_ENV, testEnv } from './test-env';

const ROOT = path.resolve(__dirname, '../..');

function runBenchCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['bench/run.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench, short mode', () => {
  let outDir: string;
  let result: BenchResult;
  let stdout: string;

  beforeAll(async () => {
    const wsUrl = testEnv(TEST_ENV.main.wsUrl);
    const statsUrl = testEnv(TEST_ENV.main.statsUrl);
    outDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-bench-'));
    const run = await runBenchCli([
      '--url',
      wsUrl,
      '--stats-url',
      statsUrl,
      '--groups',
      '2',
      '--nodes',
      '5',
      '--duration',
      '5',
      '--warmup',
      '1',
      '--multiplier',
      '1',
      '--no-step',
      // Generous: the test proves exact delivery, and this machine also runs the other suites.
      '--drain',
      '30',
      '--out',
      outDir,
    ]);
    stdout = run.stdout;
    if (run.code !== 0) throw new Error(`bench exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
    result = JSON.parse(readFileSync(path.join(outDir, 'latest.json'), 'utf8')) as BenchResult;
  }, 110_000);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('writes the result in the documented shape', () => {
    expect(result.profile).toEqual(
      expect.objectContaining({
        groups: 2,
        nodes: 5,
        statusPerSecPerGroup: 15,
        batchesPerSecPerGroup: 2,
        durationS: 5,
      }),
    );
    const latency = {
      p50: expect.any(Number),
      p90: expect.any(Number),
      p99: expect.any(Number),
      max: expect.any(Number),
    };
    expect(result.mesh).toEqual(
      expect.objectContaining({
        sent: expect.any(Number),
        expectedDeliveries: expect.any(Number),
        delivered: expect.any(Number),
        lost: expect.any(Number),
        duplicates: expect.any(Number),
        outOfOrder: expect.any(Number),
        rawDuplicates: expect.any(Number),
        rawOutOfOrder: expect.any(Number),
        latencyMs: expect.objectContaining(latency),
      }),
    );
    expect(result.baseline).toEqual(
      expect.objectContaining({
        delivered: expect.any(Number),
        lost: expect.any(Number),
        latencyMs: expect.objectContaining(latency),
      }),
    );
    expect(result.ratio).toEqual({ p50: expect.any(Number), p99: expect.any(Number) });
    expect(result.maxCleanMultiplier).toEqual(expect.any(Number));
    expect(result.callsPerInboundMessage).toEqual(
      expect.objectContaining({
        dynamodbRead: expect.any(Number),
        dynamodbWrite: expect.any(Number),
        snsPublish: expect.any(Number),
        postToConnection: expect.any(Number),
        lambdaInvocations: expect.any(Number),
        counted: true,
      }),
    );
    expect(result.costPerHourUSD).toEqual(
      expect.objectContaining({ mesh: expect.any(Number), appsync: expect.any(Number) }),
    );
    expect(result.steps).toHaveLength(1);
  });

  it('delivers every push of the mesh to every other member exactly once, in order', () => {
    const { mesh } = result;
    // 15 reports/s and 2 batches of 1–5 events per group for 5 s: items to 4 other members each.
    expect(mesh.sent).toBeGreaterThanOrEqual(0.9 * 2 * 5 * (15 + 2));
    expect(mesh.expectedDeliveries).toBe(mesh.sent * 4);
    // Items that left the clients, plus status values a client merged before sending, are what the profile produced.
    expect(mesh.sent + mesh.mergedAtSender).toBe(mesh.handed);
    expect(mesh.delivered).toBe(mesh.expectedDeliveries);
    expect(mesh.lost).toBe(0);
    expect(mesh.duplicates).toBe(0);
    expect(mesh.outOfOrder).toBe(0);
    expect(mesh.stray).toBe(0);
    // The raw socket saw every item at least once, too.
    expect(mesh.rawDelivered).toBe(mesh.expectedDeliveries);
  });

  it('delivers the same profile through the baseline relay without loss', () => {
    expect(result.baseline!.delivered).toBeGreaterThan(0);
    expect(result.baseline!.lost).toBe(0);
    expect(result.baseline!.duplicates).toBe(0);
    expect(result.baseline!.outOfOrder).toBe(0);
  });

  it('counts the stack calls of the hot path', () => {
    const calls = result.callsPerInboundMessage;
    // Every report and batch costs at least one DynamoDB write and one SNS publish, and fans out.
    expect(calls.dynamodbWrite).toBeGreaterThan(0);
    expect(calls.snsPublish).toBeGreaterThan(0);
    expect(calls.postToConnection).toBeGreaterThan(0);
    expect(result.calls.dynamodbByOperation.UpdateItem).toBeGreaterThan(0);
  });

  it('writes the picture and prints the summary with the cost table', () => {
    const svg = readFileSync(path.join(outDir, 'latest.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Latency CDF');
    expect(stdout).toContain('AppSync / mesh =');
    expect(stdout).toContain('https://aws.amazon.com/appsync/pricing/');
  });
});

/**
 * The polling profile's short mode against the same stack: 4 pollers over
 * its HTTPS endpoint and 2 WebSocket nodes in one group for 4 s. It checks
 * that every event reached every other node once (the pollers through
 * pollGroupData, the WebSocket nodes as pushes), that every node's last
 * status reached every other, and that the figures are printed. No timings.
 */
describe('npm run bench -- --polling, short mode', () => {
  let outDir: string;
  let result: PollingResult;
  let stdout: string;

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-bench-polling-'));
    const run = await runBenchCli([
      '--polling',
      '--url',
      testEnv(TEST_ENV.main.wsUrl),
      '--http-url',
      testEnv(TEST_ENV.main.httpUrl),
      '--stats-url',
      testEnv(TEST_ENV.main.statsUrl),
      '--pollers',
      '4',
      '--socket-nodes',
      '2',
      '--duration',
      '4',
      '--warmup',
      '1',
      '--drain',
      '20',
      '--out',
      outDir,
    ]);
    stdout = run.stdout;
    if (run.code !== 0) throw new Error(`bench --polling exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
    result = JSON.parse(readFileSync(path.join(outDir, 'polling', 'latest.json'), 'utf8')) as PollingResult;
  }, 60_000);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('delivers every event to every other node exactly once, through polls and pushes', () => {
    const { events } = result;
    // 2 batches of 1–5 events a second for 4 s, each owed to 5 other nodes.
    expect(events.expected).toBeGreaterThanOrEqual(0.9 * 2 * 4 * 5);
    expect(events.toPollers.delivered).toBeGreaterThan(0);
    expect(events.toSockets.delivered).toBeGreaterThan(0);
    for (const side of [events.toPollers, events.toSockets]) {
      expect(side.delivered).toBe(side.expected);
      expect(side.lost).toBe(0);
      expect(side.duplicates).toBe(0);
      expect(side.outOfOrder).toBe(0);
      expect(side.stray).toBe(0);
    }
    expect(result.status.pairs).toBeGreaterThan(0);
    expect(result.status.converged).toBe(result.status.pairs);
    expect(result.requests.errors).toEqual({});
    expect(result.clean).toBe(true);
  });

  it('counts the pollers’ requests and prices them beside AppSync', () => {
    expect(result.group).toEqual(expect.objectContaining({ pollers: 4, socketNodes: 2, pollingIntervalSeconds: 2 }));
    expect(result.requests.byAction.pollGroupData.perSecond).toBeGreaterThan(0);
    expect(result.calibration!.perPoll).toEqual(expect.objectContaining({ Query: expect.any(Number) }));
    expect(result.costPerHourUSD).toEqual({
      mesh: expect.any(Number),
      appsync: expect.any(Number),
      ratio: expect.any(Number),
    });
    expect(stdout).toContain('polling profile');
    expect(stdout).toContain('to pollers (pollGroupData)');
    expect(stdout).toMatch(/requests\/s from the pollers \(.*pollGroupData [\d.]+\/s/);
    expect(stdout).toContain('AppSync / mesh =');
    expect(stdout).toContain('https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs');
  });
});
