/**
 * The fault configuration: validated with messages that say where it is
 * wrong, off unless named, reproducible from its seed, and each fault as
 * likely as configured.
 */
import { FaultConfigError, FaultInjector, faultsFromEnv, parseFaults } from '#local/faults';
import { seededRandom } from '#local/seeded-random';

describe('the configuration', () => {
  test('accepts every fault the README lists', () => {
    const config = {
      seed: 7,
      sns: { drop: 0.05, duplicate: 0.1, delay: { p: 0.2, minMs: 50, maxMs: 400 }, reorder: 0.1 },
      postToConnection: { error500: 0.05, throttle429: 0.05, latency: { p: 0.3, minMs: 5, maxMs: 50 } },
      dynamodb: { throttle: 0.05, stall: { p: 0.05, minMs: 100, maxMs: 800 }, operations: ['UpdateItem'] },
      fanout: { killAfterPosts: 20, killPerPost: 0.01, maxKills: 3 },
    };
    expect(parseFaults(config)).toEqual(config);
  });

  test('refuses unknown faults, probabilities outside 0–1 and empty ranges, saying where', () => {
    expect(() => parseFaults({ sns: { lose: 0.1 } })).toThrow(FaultConfigError);
    expect(() => parseFaults({ sns: { drop: 2 } })).toThrow(/sns\.drop/);
    expect(() => parseFaults({ sns: { delay: { p: 1, minMs: 10, maxMs: 5 } } })).toThrow(/minMs must not exceed maxMs/);
  });

  test('MESH_FAULTS is read as JSON; unset or blank means no faults', () => {
    expect(faultsFromEnv({})).toEqual({});
    expect(faultsFromEnv({ MESH_FAULTS: ' ' })).toEqual({});
    expect(faultsFromEnv({ MESH_FAULTS: '{"sns":{"drop":0.5}}' })).toEqual({ sns: { drop: 0.5 } });
    expect(() => faultsFromEnv({ MESH_FAULTS: '{sns' })).toThrow(/MESH_FAULTS is not JSON/);
  });
});

describe('the dice', () => {
  const rolls = (injector: FaultInjector, n: number) => Array.from({ length: n }, () => injector.snsDelivery());

  test('with no faults configured nothing is injected', () => {
    const injected: string[] = [];
    const injector = new FaultInjector({}, 'main', (name) => injected.push(name));
    expect(
      rolls(injector, 100).every((plan) => !plan.drop && plan.duplicates === 0 && plan.delayMs === 0 && !plan.reorder),
    ).toBe(true);
    expect(injector.postToConnection()).toEqual({ latencyMs: 0 });
    expect(injector.dynamodbAttempt('PutItem')).toEqual({ stallMs: 0 });
    expect(injector.fanoutKill(1000)).toBe(false);
    expect(injected).toEqual([]);
  });

  test('the same seed gives the same faults; another seed or thread gives others', () => {
    const config = { seed: 42, sns: { drop: 0.3, delay: { p: 0.5, minMs: 0, maxMs: 1000 } } };
    const a = rolls(new FaultInjector(config), 50);
    expect(rolls(new FaultInjector(config), 50)).toEqual(a);
    expect(rolls(new FaultInjector({ ...config, seed: 43 }), 50)).not.toEqual(a);
    expect(rolls(new FaultInjector(config, 'fanout#0'), 50)).not.toEqual(a);
  });

  test('set() re-seeds: the same configuration again starts the same sequence', () => {
    const config = { seed: 3, postToConnection: { error500: 0.5 } };
    const injector = new FaultInjector(config);
    const first = Array.from({ length: 20 }, () => injector.postToConnection());
    injector.set(config);
    expect(Array.from({ length: 20 }, () => injector.postToConnection())).toEqual(first);
  });

  test('each fault comes about as often as its probability, and is counted by name', () => {
    const injected: Record<string, number> = {};
    const injector = new FaultInjector(
      { seed: 1, sns: { drop: 0.1, duplicate: 0.2 }, postToConnection: { throttle429: 0.3 } },
      'main',
      (name) => {
        injected[name] = (injected[name] ?? 0) + 1;
      },
    );
    for (let i = 0; i < 5000; i += 1) {
      injector.snsDelivery();
      injector.postToConnection();
    }
    expect(injected['sns.drop'] / 5000).toBeCloseTo(0.1, 1);
    expect(injected['sns.duplicate'] / 5000).toBeCloseTo(0.2, 1);
    expect(injected['postToConnection.throttle429'] / 5000).toBeCloseTo(0.3, 1);
  });

  test('delays fall in their range', () => {
    const injector = new FaultInjector({
      sns: { delay: { p: 1, minMs: 20, maxMs: 30 } },
      dynamodb: { stall: { p: 1, minMs: 5, maxMs: 5 } },
    });
    const delays = rolls(injector, 200).map((plan) => plan.delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30);
    expect(injector.dynamodbAttempt('Query').stallMs).toBe(5);
  });

  test('DynamoDB throttles use both names AWS raises', () => {
    const injector = new FaultInjector({ dynamodb: { throttle: 1 } });
    const names = new Set(Array.from({ length: 50 }, () => injector.dynamodbAttempt('PutItem').throttle));
    expect(names).toEqual(new Set(['ThrottlingException', 'ProvisionedThroughputExceededException']));
  });

  test('the fan-out kill fires at the post count given', () => {
    const injector = new FaultInjector({ fanout: { killAfterPosts: 3 } });
    expect([1, 2, 3].map((posts) => injector.fanoutKill(posts))).toEqual([false, false, true]);
  });

  test('seededRandom is uniform enough on [0, 1)', () => {
    const random = seededRandom(9);
    const values = Array.from({ length: 10_000 }, random);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(0.5, 1);
  });
});
