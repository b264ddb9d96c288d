/**
 * The stack configuration: Pulumi.yaml documents exactly the keys the program
 * reads, with the same defaults; the dev stack file is valid; bad values fail
 * at preview time, not on a cold start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import {
  CONFIG_DEFAULTS,
  configKeyDefaults,
  readConfig,
  settingsEnvironment,
  validateConfig,
  type MeshConfig,
} from '../../infra/config';
import { DEFAULT_FANOUT, DEFAULT_SETTINGS } from '#shared/core/settings';

// js-yaml is a dependency of @pulumi/pulumi; only its load() is needed here.
const yaml = require('js-yaml') as { load(text: string): unknown };

const root = join(__dirname, '..', '..');
const project = yaml.load(readFileSync(join(root, 'Pulumi.yaml'), 'utf8')) as {
  name: string;
  main: string;
  runtime: { name: string; options: { typescript: boolean } };
  config: Record<string, { type: string; default: unknown; description: string }>;
};
const devStack = yaml.load(readFileSync(join(root, 'Pulumi.dev.yaml'), 'utf8')) as { config: Record<string, unknown> };

/** Pulumi.yaml's defaults of some keys. */
const defaults = (keys: string[]): unknown[] => keys.map((key) => project.config[key]?.default);

/** readConfig over a given set of `mesh:` values (as the CLI passes them: strings). */
function configFrom(values: Record<string, unknown>): MeshConfig {
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])));
  return readConfig(new pulumi.Config('mesh'));
}

describe('Pulumi.yaml', () => {
  it('runs infra/ with the nodejs runtime and TypeScript', () => {
    expect(project).toMatchObject({
      name: 'mesh',
      main: 'infra/',
      runtime: { name: 'nodejs', options: { typescript: true } },
    });
  });

  it('documents every key the program reads, with its default and a description, and no other', () => {
    const documented = Object.fromEntries(Object.entries(project.config).map(([key, spec]) => [key, spec.default]));
    expect(documented).toEqual(configKeyDefaults());
    for (const [key, spec] of Object.entries(project.config)) {
      expect([key, spec.description?.length > 20]).toEqual([key, true]);
      const expectedType = typeof spec.default === 'number' ? 'integer' : typeof spec.default;
      expect([key, spec.type]).toEqual([key, expectedType]);
    }
  });

  it("states the engine's fan-out defaults and the group log's retention (shared/core/settings.ts)", () => {
    const defaultOf = (key: string) => project.config[key]?.default;
    expect({
      windowMinMs: defaultOf('fanoutWindowMinMs'),
      windowMaxMs: defaultOf('fanoutWindowMaxMs'),
      staleFlushMs: defaultOf('fanoutStaleFlushMs'),
      maxFlushMs: defaultOf('fanoutMaxFlushMs'),
    }).toEqual(DEFAULT_FANOUT);
    expect(defaultOf('eventTtlSeconds')).toBe(DEFAULT_SETTINGS.eventTtlSeconds);
    expect(project.config.eventTtlSeconds.description).toMatch(/retention of a group's log/);
    expect(project.config).not.toHaveProperty('fanoutWindowMs');
  });

  it('documents the sweeper: its size and its interval', () => {
    expect(defaults(['sweepMemoryMb', 'sweepTimeoutSeconds', 'sweepIntervalMinutes'])).toEqual([256, 60, 1]);
  });
});

describe('Pulumi.dev.yaml', () => {
  it('sets only known keys', () => {
    const known = new Set([...Object.keys(configKeyDefaults()).map((k) => `mesh:${k}`), 'aws:region']);
    expect(Object.keys(devStack.config).filter((key) => !known.has(key))).toEqual([]);
  });

  it('reads as a valid config with 300 s groups on the dev stage', () => {
    const config = configFrom(devStack.config);
    expect(config.stageName).toBe('dev');
    expect(config.settings.maxConnectionTimeSeconds).toBe(300);
    expect(config.pointInTimeRecovery).toBe(false);
    expect(config.logRetentionDays).toBe(7);
  });
});

describe('readConfig', () => {
  it('takes the defaults for unset keys (Mesh v2 production values)', () => {
    expect(configFrom({})).toEqual(CONFIG_DEFAULTS);
    expect(CONFIG_DEFAULTS.settings.maxConnectionTimeSeconds).toBe(1500);
    // The engine's own defaults, not a copy.
    expect(CONFIG_DEFAULTS.fanoutSettings).toBe(DEFAULT_FANOUT);
    expect(CONFIG_DEFAULTS.settings).toBe(DEFAULT_SETTINGS);
    // Source maps cost cold-start time: opt-in.
    expect(CONFIG_DEFAULTS.enableSourceMaps).toBe(false);
  });

  it('reads numbers and switches', () => {
    const config = configFrom({
      'mesh:fanoutMemoryMb': 1024,
      'mesh:hotRouteThrottlingRateLimit': 50,
      'mesh:manageApiGatewayAccount': false,
    });
    expect(config.fanout).toEqual({ memoryMb: 1024, timeoutSeconds: CONFIG_DEFAULTS.fanout.timeoutSeconds });
    expect(config.hotRouteThrottle.rateLimit).toBe(50);
    expect(config.manageApiGatewayAccount).toBe(false);
  });

  it('reads the fan-out settings and the sweeper, and hands the fan-out settings to the handlers by their MESH_* names', () => {
    const config = configFrom({
      'mesh:fanoutWindowMinMs': 20,
      'mesh:fanoutWindowMaxMs': 2000,
      'mesh:fanoutStaleFlushMs': 6000,
      'mesh:fanoutMaxFlushMs': 12000,
      'mesh:sweepIntervalMinutes': 5,
      'mesh:sweepMemoryMb': 512,
    });
    expect(config.fanoutSettings).toEqual({
      windowMinMs: 20,
      windowMaxMs: 2000,
      staleFlushMs: 6000,
      maxFlushMs: 12000,
    });
    expect(config.sweepIntervalMinutes).toBe(5);
    expect(config.sweep).toEqual({ memoryMb: 512, timeoutSeconds: 60 });
    const env = settingsEnvironment(config);
    expect(env).toMatchObject({
      MESH_FANOUT_WINDOW_MIN_MS: '20',
      MESH_FANOUT_WINDOW_MAX_MS: '2000',
      MESH_FANOUT_STALE_FLUSH_MS: '6000',
      MESH_FANOUT_MAX_FLUSH_MS: '12000',
      MESH_EVENT_TTL_SECONDS: String(DEFAULT_SETTINGS.eventTtlSeconds),
    });
    expect(Object.keys(env).every((name) => name.startsWith('MESH_'))).toBe(true);
    expect(env).not.toHaveProperty('MESH_FANOUT_WINDOW_MS');
  });

  it.each([
    [{ 'mesh:logRetentionDays': 10 }, /logRetentionDays must be one of/],
    [{ 'mesh:stageName': 'has space' }, /stageName/],
    [{ 'mesh:requestTimeoutSeconds': 30 }, /integration timeout/],
    [{ 'mesh:connectMemoryMb': 64 }, /connectMemoryMb must be between 128 and 10240/],
    [{ 'mesh:hostHeartbeatTtlSeconds': 30 }, /MESH_HOST_HEARTBEAT_TTL_SECONDS must not be below/],
    [{ 'mesh:fanoutConcurrency': 0 }, /fanoutConcurrency must be a positive integer/],
    [{ 'mesh:fanoutWindowMinMs': 0 }, /fanoutWindowMinMs must be a positive integer/],
    [
      { 'mesh:fanoutWindowMinMs': 200, 'mesh:fanoutWindowMaxMs': 100 },
      /fanoutWindowMaxMs \(100\) must not be below mesh:fanoutWindowMinMs/,
    ],
    [{ 'mesh:fanoutWindowMaxMs': 5001, 'mesh:fanoutStaleFlushMs': 9000 }, /fanoutWindowMaxMs must be at most 5000/],
    [{ 'mesh:fanoutStaleFlushMs': 1000 }, /fanoutStaleFlushMs \(1000\) must be above mesh:fanoutWindowMaxMs \(1000\)/],
    [
      { 'mesh:fanoutMaxFlushMs': 20000 },
      /fanoutMaxFlushMs \(20000\) must be at most half of mesh:fanoutTimeoutSeconds/,
    ],
    // A shorter fanout timeout without a shorter flush leaves it no room.
    [{ 'mesh:fanoutTimeoutSeconds': 15 }, /fanoutMaxFlushMs \(10000\) must be at most half/],
    [{ 'mesh:eventTtlSeconds': 59 }, /eventTtlSeconds \(the group log's retention\) must be at least 60/],
    [{ 'mesh:sweepIntervalMinutes': 0 }, /sweepIntervalMinutes must be a positive integer/],
    [{ 'mesh:sweepIntervalMinutes': 1.5 }, /sweepIntervalMinutes must be a positive integer/],
    [{ 'mesh:sweepTimeoutSeconds': 901 }, /sweepTimeoutSeconds must be at most 900/],
  ])('refuses %j', (values, message) => {
    expect(() => configFrom(values)).toThrow(message);
  });
});

describe('validateConfig', () => {
  it('accepts the defaults', () => {
    expect(validateConfig(CONFIG_DEFAULTS)).toBe(CONFIG_DEFAULTS);
  });

  it('accepts the tightest fan-out settings the rules allow', () => {
    const tight: MeshConfig = {
      ...CONFIG_DEFAULTS,
      fanout: { memoryMb: 512, timeoutSeconds: 20 },
      fanoutSettings: { windowMinMs: 1, windowMaxMs: 5000, staleFlushMs: 5001, maxFlushMs: 10000 },
      settings: { ...CONFIG_DEFAULTS.settings, eventTtlSeconds: 60 },
    };
    expect(validateConfig(tight)).toBe(tight);
  });
});
