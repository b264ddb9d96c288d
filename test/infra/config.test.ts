/**
 * The stack configuration: Pulumi.yaml documents exactly the keys the program
 * reads, with the same defaults; the dev stack file is valid; bad values fail
 * at preview time, not on a cold start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { CONFIG_DEFAULTS, configKeyDefaults, readConfig, validateConfig, type MeshConfig } from '../../infra/config';

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

/** readConfig over a given set of `mesh:` values (as the CLI passes them: strings). */
function configFrom(values: Record<string, unknown>): MeshConfig {
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])));
  return readConfig(new pulumi.Config('mesh'));
}

describe('Pulumi.yaml', () => {
  it('runs infra/ with the nodejs runtime and TypeScript', () => {
    expect(project).toMatchObject({ name: 'mesh', main: 'infra/', runtime: { name: 'nodejs', options: { typescript: true } } });
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
    // Source maps cost cold-start time: opt-in.
    expect(CONFIG_DEFAULTS.enableSourceMaps).toBe(false);
  });

  it('reads numbers and switches', () => {
    const config = configFrom({ 'mesh:fanoutMemoryMb': 1024, 'mesh:hotRouteThrottlingRateLimit': 50, 'mesh:manageApiGatewayAccount': false });
    expect(config.fanout).toEqual({ memoryMb: 1024, timeoutSeconds: CONFIG_DEFAULTS.fanout.timeoutSeconds });
    expect(config.hotRouteThrottle.rateLimit).toBe(50);
    expect(config.manageApiGatewayAccount).toBe(false);
  });

  it.each([
    [{ 'mesh:logRetentionDays': 10 }, /logRetentionDays must be one of/],
    [{ 'mesh:stageName': 'has space' }, /stageName/],
    [{ 'mesh:requestTimeoutSeconds': 30 }, /integration timeout/],
    [{ 'mesh:connectMemoryMb': 64 }, /connectMemoryMb must be between 128 and 10240/],
    [{ 'mesh:hostHeartbeatTtlSeconds': 30 }, /MESH_HOST_HEARTBEAT_TTL_SECONDS must not be below/],
    [{ 'mesh:fanoutConcurrency': 0 }, /fanoutConcurrency must be a positive integer/],
  ])('refuses %j', (values, message) => {
    expect(() => configFrom(values)).toThrow(message);
  });
});

describe('validateConfig', () => {
  it('accepts the defaults', () => {
    expect(validateConfig(CONFIG_DEFAULTS)).toBe(CONFIG_DEFAULTS);
  });
});
