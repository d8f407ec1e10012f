import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DURATION_CHARS, formatDuration, parseDuration } from '../../policies/duration.js';
import { loadConfigText } from '../../policies/loader.js';
import { seedYaml } from '../helpers/config.js';

describe('parseDuration', () => {
  const valid: [unknown, number][] = [
    [0, 0],
    [250, 250],
    [12.5, 12.5],
    ['100ms', 100],
    ['5s', 5000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['1.1s', 1100],
    ['.5s', 500],
    ['0.5ms', 0.5],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    [' 2s ', 2000],
    ['1m 30s', 90_000],
  ];
  for (const [input, ms] of valid) {
    it(`reads ${JSON.stringify(input)} as ${ms} ms`, () => {
      assert.deepEqual(parseDuration(input), { ok: true, ms });
    });
  }

  const invalid: [unknown, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['5', /missing a unit; write 5ms, or 5 without quotes/],
    ['5x', /unknown unit "x"/],
    ['5 seconds', /unknown unit "seconds"/],
    ['1s30m', /largest to smallest/],
    ['1s1s', /largest to smallest/],
    ['-1s', /negative/],
    ['1.2.3s', /has no unit/],
    ['s', /expected a number and a unit/],
    ['1e999h', /missing a unit|too large|unknown unit/],
    [-5, /negative/],
    [Number.NaN, /finite/],
    [Number.POSITIVE_INFINITY, /finite/],
    [true, /expected a duration/],
    [null, /expected a duration/],
    [{ s: 1 }, /expected a duration/],
  ];
  for (const [input, reason] of invalid) {
    it(`rejects ${String(input)} with a reason`, () => {
      const r = parseDuration(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, reason);
    });
  }

  it(`takes a duration of ${MAX_DURATION_CHARS} characters and refuses a longer one, saying why`, () => {
    const longest = `1h2m3.${'1'.repeat(MAX_DURATION_CHARS - 7)}s`;
    assert.equal(longest.length, MAX_DURATION_CHARS);
    assert.equal(parseDuration(longest).ok, true);
    assert.deepEqual(parseDuration(` ${longest}`), {
      ok: false,
      reason: `${MAX_DURATION_CHARS + 1} characters, longer than the ${MAX_DURATION_CHARS} allowed`,
    });
  });

  it('refuses a 100,000-digit string at once, with or without a unit', () => {
    // Before the bound, the unit check backtracked quadratically: about 10 s for this input here.
    for (const input of ['1'.repeat(100_000), `${'1'.repeat(100_000)}s`, `${'1'.repeat(100_000)}x`]) {
      const started = performance.now();
      const r = parseDuration(input);
      const ms = performance.now() - started;
      assert.deepEqual(r, { ok: false, reason: `${input.length} characters, longer than the 32 allowed` });
      assert.ok(ms < 1000, `took ${ms} ms (generous: a bounded parse takes well under 1 ms)`);
    }
  });

  it('says how to write units, in order, largest first', () => {
    const r = parseDuration('10d');
    assert.deepEqual(r, { ok: false, reason: 'unknown unit "d" (use ms, s, m or h)' });
  });
});

describe('formatDuration', () => {
  it('writes milliseconds in the largest units that fit', () => {
    assert.equal(formatDuration(500), '500ms');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(60_000), '1m');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(3_723_004), '1h2m3.004s');
    assert.equal(formatDuration(0.1 + 0.2), '0.3ms');
    assert.equal(formatDuration(-250), '-250ms');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1000, 1500, 59_999, 90_000, 3_600_000, 3_723_004]) {
      assert.deepEqual(parseDuration(formatDuration(ms)), { ok: true, ms });
    }
  });
});

describe('a duration too long for the loader', () => {
  it('is one short error that says where, not a copy of the input', () => {
    const digits = '1'.repeat(100_000);
    const r = loadConfigText(seedYaml({ url: 'http://127.0.0.1:9', interval: `"${digits}s"` }), 'p.yaml');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.errors.length, 1);
    const [e] = r.errors;
    assert.deepEqual([e?.line, e?.column, e?.path], [4, 13, 'policy.interval']);
    assert.match(
      String(e?.message),
      /^policy\.interval: malformed duration "1{40}"\.\.\. \(100001 characters\): /,
    );
    assert.match(String(e?.message), /100001 characters, longer than the 32 allowed$/);
    assert.ok(String(e?.message).length < 200, String(e?.message).length.toString());
  });
});
