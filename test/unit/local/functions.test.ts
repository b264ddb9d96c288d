/**
 * MESH_LOCAL_WORKERS sets how many threads run each function: one each by
 * default, one number for all, or per function; anything else fails at start
 * with a message naming the setting.
 */
import { workerCountsFromEnv } from '#local/functions';

test('one thread per function by default', () => {
  expect(workerCountsFromEnv({})).toEqual({
    connect: 1,
    disconnect: 1,
    request: 1,
    http: 1,
    fanout: 1,
    sweep: 1,
    authorize: 1,
  });
});

test('one number sets every function; 0 runs every handler in the stack thread', () => {
  expect(workerCountsFromEnv({ MESH_LOCAL_WORKERS: '0' })).toEqual({
    connect: 0,
    disconnect: 0,
    request: 0,
    http: 0,
    fanout: 0,
    sweep: 0,
    authorize: 0,
  });
  expect(workerCountsFromEnv({ MESH_LOCAL_WORKERS: '2' })).toEqual({
    connect: 2,
    disconnect: 2,
    request: 2,
    http: 2,
    fanout: 2,
    sweep: 2,
    authorize: 2,
  });
});

test('per function, the others keeping the default', () => {
  expect(workerCountsFromEnv({ MESH_LOCAL_WORKERS: 'request:2, fanout:3,connect:0' })).toEqual({
    connect: 0,
    disconnect: 1,
    request: 2,
    http: 1,
    fanout: 3,
    sweep: 1,
    authorize: 1,
  });
});

test('unknown functions and bad counts are refused by name', () => {
  expect(() => workerCountsFromEnv({ MESH_LOCAL_WORKERS: 'sweeper:1' })).toThrow(
    /MESH_LOCAL_WORKERS: unknown function "sweeper"/,
  );
  expect(() => workerCountsFromEnv({ MESH_LOCAL_WORKERS: 'request:-1' })).toThrow(/MESH_LOCAL_WORKERS/);
  expect(() => workerCountsFromEnv({ MESH_LOCAL_WORKERS: 'request' })).toThrow(/MESH_LOCAL_WORKERS/);
});
