/**
 * One test per kind of configuration error: where it points (line:column) and what it says.
 * Fixtures are in test/fixtures/config; their line numbers are part of the assertions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONFIG_INVALID,
  ConfigLoadError,
  configOrThrow,
  formatConfigError,
  loadConfigFile,
  loadConfigText,
} from '../../policies/loader.js';
import type { ConfigError } from '../../policies/loader.js';
import { fixtures } from '../helpers/paths.js';

type Located = Pick<ConfigError, 'line' | 'column' | 'path' | 'message'>;

async function errorsOf(name: string): Promise<Located[]> {
  const file = fixtures('config', name);
  const result = await loadConfigFile(file);
  assert.equal(result.ok, false, `${name} should not load`);
  if (result.ok) return [];
  for (const e of result.errors) assert.equal(e.file, file);
  return result.errors.map(({ line, column, path, message }) => ({ line, column, path, message }));
}

describe('configuration errors', () => {
  it('a YAML syntax error points where the parser stopped', async () => {
    const [e, ...rest] = await errorsOf('syntax-error.yaml');
    assert.equal(rest.length, 0);
    assert.deepEqual({ line: e?.line, column: e?.column }, { line: 5, column: 1 });
    assert.match(e?.message ?? '', /^YAML syntax error: Flow sequence .* end with a \]$/);
  });

  it('an unknown key points at the key and suggests the near one', async () => {
    assert.deepEqual(await errorsOf('unknown-key.yaml'), [
      {
        line: 5,
        column: 35,
        path: 'policy.bands.cache.tolerence',
        message: 'unknown key "tolerence" in policy.bands.cache (did you mean "tolerance"?)',
      },
    ]);
  });

  it('an unknown key far from any allowed one lists the allowed keys', () => {
    const r = loadConfigText('apiVersion: poolpilot/v1\nbogus: 1\n', 'x.yaml');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.ok(
      r.errors.some(
        (e) =>
          e.line === 2 &&
          e.column === 1 &&
          e.message ===
            'unknown key "bogus" in the top level (expected apiVersion, policy, services, schedules or shadow)',
      ),
    );
  });

  it('a value of the wrong type says what was expected and what was found', async () => {
    assert.deepEqual(await errorsOf('wrong-type.yaml'), [
      {
        line: 4,
        column: 13,
        path: 'policy.interval',
        message: 'policy.interval: expected a duration such as 1s or 500ms, got true',
      },
      {
        line: 10,
        column: 52,
        path: 'services[0].pools[0].max',
        message: 'services[0].pools[0].max: expected a whole number, 0 or more, got "many"',
      },
    ]);
  });

  it('a missing required key points at the map that lacks it', async () => {
    assert.deepEqual(await errorsOf('missing-required.yaml'), [
      { line: 5, column: 5, path: 'services[0]', message: 'services[0]: missing required key "url"' },
    ]);
  });

  it('low above high in a band', async () => {
    assert.deepEqual(await errorsOf('band-low-above-high.yaml'), [
      {
        line: 6,
        column: 12,
        path: 'policy.bands.cache.low',
        message: 'policy.bands.cache: low (0.8) is above high (0.7)',
      },
    ]);
  });

  it('a tolerance as wide as the gap between low and high', async () => {
    assert.deepEqual(await errorsOf('tolerance-too-wide.yaml'), [
      {
        line: 5,
        column: 45,
        path: 'policy.bands.load.tolerance',
        message:
          'policy.bands.load: tolerance (0.2) is not smaller than the gap between low (0.3) and high (0.4)',
      },
    ]);
  });

  for (const [name, factor] of [
    ['shrink-factor-zero.yaml', '0'],
    ['shrink-factor-above-one.yaml', '1.5'],
  ] as const) {
    it(`a shrink factor of ${factor}, outside (0, 1)`, async () => {
      assert.deepEqual(await errorsOf(name), [
        {
          line: 6,
          column: 31,
          path: 'policy.rules[0].do.shrink.factor',
          message:
            'policy.rules[0].do.shrink.factor: must be between 0 and 1 exclusive ' +
            `(the share of capacity a shrink keeps), got ${factor}`,
        },
      ]);
    });
  }

  it('min above max in a pool', async () => {
    assert.deepEqual(await errorsOf('pool-min-above-max.yaml'), [
      {
        line: 11,
        column: 14,
        path: 'services[0].pools[0].min',
        message: 'services[0].pools[0]: min (9000) is above max (8192)',
      },
    ]);
  });

  it('base outside [min, max]', async () => {
    assert.deepEqual(await errorsOf('pool-base-outside.yaml'), [
      {
        line: 10,
        column: 32,
        path: 'services[0].pools[1].base',
        message: 'services[0].pools[1]: base (8) is outside [min, max] = [16, 4096]',
      },
    ]);
  });

  it('a rule naming a band that does not exist', async () => {
    assert.deepEqual(await errorsOf('rule-unknown-band.yaml'), [
      {
        line: 5,
        column: 28,
        path: 'policy.rules[0].when.cache[1]',
        message: 'policy.rules[0].when.cache: unknown band "extreme" (bands are low, mid and high)',
      },
    ]);
  });

  it('a rule naming a signal that does not exist', async () => {
    assert.deepEqual(await errorsOf('rule-unknown-signal.yaml'), [
      {
        line: 7,
        column: 9,
        path: 'policy.rules[0].when.memory',
        message: 'policy.rules[0].when: unknown signal "memory" (signals are cache and load)',
      },
    ]);
  });

  it('a malformed duration', async () => {
    assert.deepEqual(await errorsOf('malformed-duration.yaml'), [
      {
        line: 5,
        column: 15,
        path: 'policy.staleAfter',
        message:
          'policy.staleAfter: malformed duration "5 seconds": unknown unit "seconds" (use ms, s, m or h)',
      },
    ]);
  });

  it('duplicate service and pool names', async () => {
    assert.deepEqual(await errorsOf('duplicate-names.yaml'), [
      {
        line: 10,
        column: 17,
        path: 'services[0].pools[1].name',
        message:
          'services[0].pools[1].name: duplicate pool name "buffers" (also used by services[0].pools[0])',
      },
      {
        line: 11,
        column: 11,
        path: 'services[1].name',
        message: 'services[1].name: duplicate service name "nas" (also used by services[0])',
      },
    ]);
  });

  it('both token and tokenFile', async () => {
    assert.deepEqual(await errorsOf('token-and-token-file.yaml'), [
      {
        line: 9,
        column: 5,
        path: 'services[0].tokenFile',
        message: 'services[0]: set token or tokenFile, not both',
      },
    ]);
  });

  for (const name of ['empty.yaml', 'comments-only.yaml']) {
    it(`an empty file (${name})`, async () => {
      assert.deepEqual(await errorsOf(name), [
        { line: 1, column: 1, path: '', message: 'the file is empty; expected a poolpilot/v1 configuration' },
      ]);
    });
  }

  it('more than one YAML document', async () => {
    assert.deepEqual(await errorsOf('multi-document.yaml'), [
      {
        line: 8,
        column: 1,
        path: '',
        message: 'expected one YAML document, found 2: remove the extra "---"',
      },
    ]);
  });

  it('an unreadable file gives the OS reason at 1:1', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'poolpilot-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const missing = join(dir, 'nope.yaml');
    const result = await loadConfigFile(missing);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.errors.length, 1);
    const [e] = result.errors;
    assert.deepEqual(
      { file: e?.file, line: e?.line, column: e?.column },
      { file: missing, line: 1, column: 1 },
    );
    assert.match(e?.message ?? '', /^cannot read the file: ENOENT: no such file or directory/);
  });

  it('a directory is unreadable too', async () => {
    const result = await loadConfigFile(tmpdir());
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.errors[0]?.message ?? '', /^cannot read the file: EISDIR/);
  });

  it('reports every problem of a file, in order of position', () => {
    const text = [
      'apiVersion: poolpilot/v1',
      'policy:',
      '  name: many',
      '  interval: soon',
      '  bands: { cache: { low: 0.9, high: 0.1 } }',
      'services: []',
    ].join('\n');
    const r = loadConfigText(text, 'many.yaml');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.errors.map(formatConfigError), [
      'many.yaml:4:13: policy.interval: malformed duration "soon": expected a number and a unit, such as 500ms, 1.5s, 1m30s or 1h',
      'many.yaml:5:26: policy.bands.cache: low (0.9) is above high (0.1)',
      'many.yaml:6:11: services: must list at least 1 item',
    ]);
  });

  it('a byte order mark does not shift columns', () => {
    const r = loadConfigText('\uFEFFapiVersion: v0\n', 'bom.yaml');
    assert.equal(r.ok, false);
    if (!r.ok) assert.ok(r.errors.some((e) => e.line === 1 && e.column === 13 && /got "v0"/.test(e.message)));
  });
});

describe('ConfigLoadError', () => {
  it('carries a stable code and every error', () => {
    const r = loadConfigText('apiVersion: 1\n', 'a.yaml');
    assert.throws(
      () => configOrThrow(r),
      (err: unknown) => {
        assert.ok(err instanceof ConfigLoadError);
        assert.equal(err.code, CONFIG_INVALID);
        assert.equal(err.code, 'POOLPILOT_CONFIG_INVALID');
        assert.equal(err.errors.length, 3);
        assert.equal(err.errors[2]?.message, 'apiVersion: expected "poolpilot/v1", got 1');
        assert.equal(err.message, 'a.yaml:1:1: missing required key "policy" (and 2 more)');
        return true;
      },
    );
  });

  it('keeps a cause', () => {
    const cause = new Error('boom');
    assert.equal(new ConfigLoadError([], { cause }).cause, cause);
  });
});
