/**
 * The agent protocol's one definition (core/protocol*.ts): its schemas name the fields that
 * agent/openapi.json publishes, what the SDK serves passes what the controller reads, and no
 * reason quotes a string a peer sent.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import openapi from '../../agent/openapi.json' with { type: 'json' };
import { AgentProtocol } from '../../agent/protocol.js';
import { ResizablePool } from '../../agent/resizable-pool.js';
import {
  POOL_STATS_SCHEMA,
  RESIZE_ANSWER_SCHEMA,
  RESIZE_BODY_SCHEMA,
  STATS_SCHEMA,
} from '../../core/protocol-schema.js';
import { parseAgentStats, parseResizeAnswer, validateResizeBody } from '../../core/protocol-validate.js';
import { repoRoot } from '../helpers/paths.js';

interface Named {
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly required?: readonly string[];
}
const published = (openapi as unknown as { components: { schemas: Record<string, Named> } }).components
  .schemas;
const fields = (schema: Named | undefined): string[] => Object.keys(schema?.properties ?? {}).sort();
const nested = (schema: Named, key: string): Named => schema.properties?.[key] as Named;

describe('core protocol schemas', () => {
  test('name the same fields as agent/openapi.json, and require the same', () => {
    const load = nested(STATS_SCHEMA, 'load');
    const pairs: [string, Named, Named | undefined][] = [
      ['Stats', STATS_SCHEMA, published.Stats],
      ['PoolStats', POOL_STATS_SCHEMA, published.PoolStats],
      ['Load', load, published.Load],
      ['Workers', nested(load, 'workers'), published.Workers],
      ['Memory', nested(STATS_SCHEMA, 'memory'), published.Memory],
      ['ResizeBody', RESIZE_BODY_SCHEMA, published.ResizeBody],
      ['ResizeAnswer', RESIZE_ANSWER_SCHEMA, published.ResizeAnswer],
    ];
    for (const [name, core, doc] of pairs) {
      assert.deepEqual(fields(core), fields(doc), name);
    }
    for (const [name, core, doc] of pairs.slice(0, 2)) assert.deepEqual(core.required, doc?.required, name);
  });

  test('what the SDK serves is read back unchanged by the controller', () => {
    const pool = new ResizablePool({ name: 'buffers', capacity: 4, create: () => ({}), sizeOf: 512 });
    pool.release(pool.acquire());
    const protocol = new AgentProtocol({
      service: 'nas',
      pools: [pool],
      load: {
        sample: () => ({
          eventLoopUtilization: 0.25,
          eventLoopDelayP99Ms: 3,
          workers: { busy: 1, total: 4 },
        }),
      },
      memory: () => ({ workingSetBytes: 10, limitBytes: 20 }),
    });
    const served = JSON.parse(JSON.stringify(protocol.stats().body)) as { pools: { bytes?: number }[] };
    assert.equal(served.pools[0]?.bytes, 512, 'the pool reports the bytes it holds');
    assert.deepEqual(parseAgentStats(served), { ok: true, stats: served });
  });

  test('the answer of a resize: previous may be left out or null, capacity may not', () => {
    assert.deepEqual(parseResizeAnswer({ name: 'b', capacity: 8, previous: 4 }), {
      ok: true,
      value: { capacity: 8, previous: 4 },
    });
    assert.deepEqual(parseResizeAnswer({ capacity: 8 }), {
      ok: true,
      value: { capacity: 8, previous: null },
    });
    assert.deepEqual(parseResizeAnswer({ capacity: 8, previous: null }), {
      ok: true,
      value: { capacity: 8, previous: null },
    });
    assert.deepEqual(parseResizeAnswer({ previous: 4 }), {
      ok: false,
      reason: `capacity is required (an integer from 0 to ${Number.MAX_SAFE_INTEGER})`,
    });
    assert.deepEqual(parseResizeAnswer('8'), {
      ok: false,
      reason: 'the answer must be an object, got a string',
    });
  });

  test('pools[].returns is a count like hits and misses: kept, null as absent, else refused where', () => {
    const doc = (returns: unknown): unknown => ({
      service: 's',
      pools: [{ name: 'a', capacity: 1, inUse: 1, hits: 3, misses: 2, returns }],
    });
    assert.deepEqual(parseAgentStats(doc(4)), {
      ok: true,
      stats: { service: 's', pools: [{ name: 'a', capacity: 1, inUse: 1, hits: 3, misses: 2, returns: 4 }] },
    });
    assert.deepEqual(parseAgentStats(doc(null)), {
      ok: true,
      stats: { service: 's', pools: [{ name: 'a', capacity: 1, inUse: 1, hits: 3, misses: 2 }] },
    });
    for (const bad of [-1, 1.5, '4']) {
      const parsed = parseAgentStats(doc(bad));
      assert.equal(parsed.ok, false, String(bad));
      assert.match(parsed.ok ? '' : parsed.reason, /^pools\[0\]\.returns /, String(bad));
    }
  });

  test('no coercion: a number written as a string is refused', () => {
    assert.equal(validateResizeBody({ capacity: '5' }).ok, false);
    assert.equal(parseResizeAnswer({ capacity: '5' }).ok, false);
    assert.equal(parseAgentStats({ service: 's', pools: [{ name: 'a', capacity: '5' }] }).ok, false);
  });

  test('a stats reason never quotes a string the service sent', () => {
    const SECRET = 'hunter2-token';
    const leaf = fc.oneof(
      fc.constant(SECRET),
      fc.constant(''),
      fc.integer({ min: -3, max: 3 }),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant([SECRET]),
      fc.constant({ [SECRET]: SECRET }),
    );
    const pool = fc.oneof(leaf, fc.record({ name: leaf, capacity: leaf, inUse: leaf, hits: leaf }));
    const doc = fc.oneof(
      leaf,
      fc.record(
        {
          service: leaf,
          pools: fc.oneof(leaf, fc.array(pool, { maxLength: 3 })),
          load: fc.oneof(
            leaf,
            fc.record({ eventLoopUtilization: leaf, workers: fc.oneof(leaf, fc.record({ busy: leaf })) }),
          ),
          memory: fc.oneof(leaf, fc.record({ limitBytes: leaf })),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(doc, (candidate) => {
        const parsed = parseAgentStats(candidate);
        if (!parsed.ok) assert.ok(!parsed.reason.includes(SECRET.slice(0, 6)), parsed.reason);
      }),
      { numRuns: 500 },
    );
  });

  test('importing the agent SDK does not load ajv; its first validation does', () => {
    const sdk = JSON.stringify(join(repoRoot, 'dist', 'agent', 'index.js'));
    const script = `
      import { createRequire } from 'node:module';
      const sdk = await import(${sdk});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((id) => /[\\/]ajv[\\/]/.test(id));
      const before = loaded();
      const ok = sdk.validateResizeBody({ capacity: 1 }).ok;
      console.log(JSON.stringify({ before, ok, after: loaded() }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { before: false, ok: true, after: true });
  });
});
