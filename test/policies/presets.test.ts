/** The bundled presets and the typed values (defaults, milliseconds, normalised rules) a file gives. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigFile } from '../../policies/loader.js';
import { presetPath } from '../../policies/presets.js';
import { POLICY_DEFAULTS } from '../../policies/schema.js';
import type { Config } from '../../policies/types.js';
import { fixtures } from '../helpers/paths.js';

async function load(file: string): Promise<Config> {
  const result = await loadConfigFile(file);
  if (!result.ok) assert.fail(`${file} should load: ${JSON.stringify(result.errors)}`);
  return result.config;
}

const nas = {
  name: 'nas',
  url: 'http://127.0.0.1:8080',
  mode: 'enforce',
  pools: [
    { name: 'buffers', base: 1024, min: 64, max: 8192 },
    { name: 'handles', base: 256, min: 16, max: 4096 },
    { name: 'metadata', base: 2048, min: 128, max: 16384 },
    { name: 'content', base: 1024, min: 16, max: 16384 },
  ],
} as const;

const commonPolicy = {
  intervalMs: 1000,
  fastPathMs: 100,
  staleAfterMs: 5000,
  onMissing: 'hold',
  signals: {
    cache: { sources: ['meminfo', 'psi'], psiSaturation: 10, refaultSaturation: 1000 },
    load: { delayLimitMs: 100 },
  },
  bands: { cache: { low: 0.3, high: 0.7, tolerance: 0.02 }, load: { low: 0.3, high: 0.6, tolerance: 0.02 } },
} as const;

describe('presets', () => {
  it('seed is the article matrix, durations in milliseconds', async () => {
    const config = await load(presetPath('seed'));
    assert.deepEqual(config, {
      apiVersion: 'poolpilot/v1',
      policy: {
        name: 'seed',
        ...commonPolicy,
        rules: [
          { when: { cache: ['high'] }, action: { kind: 'shrink', factor: 0.8, everyMs: 5000 } },
          { when: { load: ['high'] }, action: { kind: 'grow', rate: 0.1, perMs: 60_000 } },
          { when: {}, action: { kind: 'hold' } },
        ],
      },
      services: [nas],
    });
  });

  it('linear is the continuous form as a single rule', async () => {
    const config = await load(presetPath('linear'));
    assert.deepEqual(config, {
      apiVersion: 'poolpilot/v1',
      policy: {
        name: 'linear',
        ...commonPolicy,
        rules: [{ when: {}, action: { kind: 'linear', intercept: 1, cache: -0.6, load: 0.3 } }],
      },
      services: [nas],
    });
  });

  it('nas watches its own container and acts in seconds (issue 12)', async () => {
    const config = await load(presetPath('nas'));
    assert.equal(config.policy.name, 'nas');
    assert.deepEqual(config.policy.signals.cache.sources, ['service', 'meminfo']);
    assert.deepEqual(config.policy.bands.cache, { low: 0.55, high: 0.75, tolerance: 0.03 });
    assert.equal(config.policy.fastPathMs, 100);
    assert.deepEqual(config.policy.rules, [
      { when: { cache: ['high'] }, action: { kind: 'shrink', factor: 0.5, everyMs: 500 } },
      { when: { cache: ['low'], load: ['mid', 'high'] }, action: { kind: 'grow', rate: 1, perMs: 1000 } },
      { when: {}, action: { kind: 'hold' } },
    ]);
    assert.deepEqual(
      config.services[0]?.pools.map((p) => p.name),
      ['buffers', 'handles', 'metadata', 'content'],
    );
  });

  it('the seed preset spells out exactly the defaults', async () => {
    const { name, ...policy } = (await load(presetPath('seed'))).policy;
    assert.equal(name, 'seed');
    assert.deepEqual(policy, POLICY_DEFAULTS);
  });

  it('a loaded config is frozen all the way down', async () => {
    const config = await load(presetPath('seed'));
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.policy.rules[0]?.when.cache));
    assert.ok(Object.isFrozen(config.services[0]?.pools[0]));
  });
});

describe('typed values', () => {
  it('omitted policy fields take the defaults (the seed matrix)', async () => {
    const config = await load(fixtures('config', 'minimal.yaml'));
    assert.deepEqual(config.policy, { name: 'minimal', ...POLICY_DEFAULTS });
    assert.deepEqual(config.services, [
      {
        name: 'nas',
        url: 'https://nas.example:8443',
        mode: 'observe',
        tokenFile: '/run/secrets/token',
        pools: [{ name: 'buffers', base: 0, min: 0, max: 0 }],
      },
    ]);
    assert.equal('token' in (config.services[0] ?? {}), false);
  });

  it('durations, "off", band lists and actions are normalised', async () => {
    const config = await load(fixtures('config', 'custom.yaml'));
    assert.deepEqual(config.policy, {
      name: 'custom',
      intervalMs: 2500,
      fastPathMs: null,
      staleAfterMs: 90_000,
      onMissing: 'base',
      signals: {
        cache: { sources: ['psi'], psiSaturation: 20, refaultSaturation: 1000 },
        load: { delayLimitMs: 250 },
      },
      bands: {
        cache: { low: 0.2, high: 0.9, tolerance: 0.02 },
        load: { low: 0.3, high: 0.6, tolerance: 0.02 },
      },
      rules: [
        {
          when: { cache: ['high', 'mid'], load: ['low'] },
          action: { kind: 'shrink', factor: 0.5, everyMs: 1500 },
        },
        { when: { load: ['high'] }, action: { kind: 'grow', rate: 0.25, perMs: 3_600_000 } },
        { when: {}, action: { kind: 'hold' } },
      ],
    });
    assert.deepEqual(config.services[0], {
      name: 'nas-1',
      url: 'http://10.0.0.5:9000/',
      mode: 'enforce',
      token: 's3cret',
      pools: [{ name: 'read.buffers_v2', base: 10, min: 1, max: 100 }],
    });
  });
});
