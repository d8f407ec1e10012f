/** The pure cgroup parsers and arithmetic, and the flat-keyed parser and counter helpers beneath them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  eventsFromV1,
  eventsFromV2,
  inactiveFileBytes,
  limitFromDigits,
  limitPressure,
  parseCountFile,
  parseLimitFile,
  v1EffectiveLimit,
  workingSetBytes,
} from '../../core/kernel/cgroup-parse.js';
import { CounterRate } from '../../core/kernel/counter-rate.js';
import { counterIncrements, missingKeyReason, parseFlatKeyed } from '../../core/kernel/flat-keyed.js';
import { fixtures } from '../helpers/paths.js';

const read = (dir: string, file: string): string => readFileSync(fixtures('cgroup', dir, file), 'latin1');

test('parseFlatKeyed: the real v1 memory.stat, with 2^63 - 4096 kept as digits', () => {
  const stat = parseFlatKeyed(read('real-v1-root', 'memory.stat'));
  assert.equal(stat.truncated, false);
  assert.equal(stat.values.get('total_inactive_file'), 116322304);
  assert.equal(stat.values.get('total_workingset_refault_file'), 66649);
  assert.equal(stat.values.has('hierarchical_memory_limit'), false);
  assert.equal(stat.tooLarge.get('hierarchical_memory_limit'), '9223372036854771712');
  assert.equal(stat.values.size + stat.tooLarge.size, 42);
});

test('parseFlatKeyed: a cut-short last line is ignored and flagged; junk lines are skipped', () => {
  const stat = parseFlatKeyed('anon 5\nno-value\nfile x\n two 2\ninactive_file 12');
  assert.deepEqual([...stat.values], [['anon', 5]]);
  assert.equal(stat.truncated, true);
  assert.equal(
    missingKeyReason(stat, 'inactive_file', 'memory.stat'),
    'memory.stat has no inactive_file (last line truncated)',
  );
  const empty = parseFlatKeyed('');
  assert.equal(empty.values.size, 0);
  assert.equal(empty.truncated, false);
  assert.equal(missingKeyReason(empty, 'x', 'f'), 'f has no x');
});

test('parseFlatKeyed with only some keys gives what the full parse gives for them, on every fixture', () => {
  const keys = [
    'total_inactive_file',
    'inactive_file',
    'hierarchical_memory_limit',
    'workingset_refault_file',
  ];
  const texts = [
    ...readdirSync(fixtures('cgroup'))
      .filter((dir) => existsSync(fixtures('cgroup', dir, 'memory.stat')))
      .map((dir) => read(dir, 'memory.stat')),
    ...['real', 'refault-a', 'refault-truncated', 'refault-huge', 'refault-empty'].map((dir) =>
      readFileSync(fixtures('proc', dir, 'vmstat'), 'latin1'),
    ),
    'xinactive_file 1\n inactive_file 2\ninactive_file  3 \n',
    'inactive_file 12',
  ];
  for (const text of texts) {
    const full = parseFlatKeyed(text);
    const some = parseFlatKeyed(text, keys);
    assert.equal(some.truncated, full.truncated);
    for (const key of keys) {
      assert.equal(some.values.get(key), full.values.get(key), key);
      assert.equal(some.tooLarge.get(key), full.tooLarge.get(key), key);
    }
  }
});

test('missingKeyReason: a value above 2^53 says so', () => {
  const stat = parseFlatKeyed(read('v1-stat-huge', 'memory.stat'));
  assert.equal(
    missingKeyReason(stat, 'total_inactive_file', 'memory.stat'),
    'memory.stat total_inactive_file 18446744073709551615 is too large (above 2^53)',
  );
});

test('counterIncrements: growth only, nothing on the first sample, a counter going back drops out', () => {
  assert.deepEqual(counterIncrements(undefined, { high: 3 }), {});
  assert.deepEqual(counterIncrements({ high: 3, max: 5, oom: 1 }, { high: 7, max: 2, oomKill: 1 }), {
    high: 4,
  });
  assert.deepEqual(counterIncrements({ max: 5 }, { max: 5 }), { max: 0 });
});

test('CounterRate: first sample, rate from deltas, too-close samples, backwards reset', () => {
  const rate = new CounterRate(10);
  assert.deepEqual(rate.update(100, 0), { ok: false, reason: 'first sample, no rate yet' });
  assert.deepEqual(rate.update(150, 5), {
    ok: false,
    reason: 'only 5 ms since the baseline, too soon for a rate',
  });
  assert.deepEqual(rate.update(200, 500), { ok: true, perSecond: 200 });
  assert.deepEqual(
    rate.update(201, 505),
    { ok: true, perSecond: 200 },
    'too close: the last rate, baseline kept',
  );
  assert.deepEqual(rate.update(300, 1000), { ok: true, perSecond: 200 });
  assert.deepEqual(rate.update(10, 1500), {
    ok: false,
    reason: 'counter went backwards (300 to 10): baseline reset',
  });
  assert.deepEqual(rate.update(20, 2500), { ok: true, perSecond: 10 });
  rate.reset();
  assert.equal(rate.update(30, 3000).ok, false);
});

test('parseCountFile: a number and a newline; empty, cut short, junk and above 2^53 fail', () => {
  assert.deepEqual(parseCountFile('66502656\n', 'memory.current'), { ok: true, value: 66502656 });
  assert.deepEqual(parseCountFile('', 'memory.current'), { ok: false, reason: 'memory.current is empty' });
  assert.deepEqual(parseCountFile('\n', 'memory.current'), { ok: false, reason: 'memory.current is empty' });
  assert.deepEqual(parseCountFile('66502', 'memory.usage_in_bytes'), {
    ok: false,
    reason: 'memory.usage_in_bytes is truncated (no newline after "66502")',
  });
  assert.deepEqual(parseCountFile('max\n', 'memory.current'), {
    ok: false,
    reason: 'memory.current is not a whole number: "max"',
  });
  assert.deepEqual(parseCountFile('18446744073709551615\n', 'memory.current'), {
    ok: false,
    reason: 'memory.current 18446744073709551615 is too large (above 2^53)',
  });
});

test('parseLimitFile: max and anything from 2^62 up are unlimited (null)', () => {
  assert.deepEqual(parseLimitFile('max\n', 'memory.max'), { ok: true, limitBytes: null });
  assert.deepEqual(parseLimitFile('536870912\n', 'memory.max'), { ok: true, limitBytes: 536870912 });
  assert.deepEqual(parseLimitFile('0\n', 'memory.max'), { ok: true, limitBytes: 0 });
  assert.deepEqual(parseLimitFile(read('real-v1-root', 'memory.limit_in_bytes'), 'memory.limit_in_bytes'), {
    ok: true,
    limitBytes: null,
  });
  assert.equal(limitFromDigits('4611686018427387904'), null, '2^62');
  assert.equal(limitFromDigits('18446744073709551615'), null, '2^64 - 1');
  assert.equal(limitFromDigits('4611686018427387903'), Number('4611686018427387903'), '2^62 - 1 is a limit');
  assert.deepEqual(parseLimitFile('', 'memory.max'), { ok: false, reason: 'memory.max is empty' });
  assert.deepEqual(parseLimitFile('-1\n', 'memory.max'), {
    ok: false,
    reason: 'memory.max is neither a number of bytes nor max: "-1"',
  });
});

test('v1EffectiveLimit: the smaller of the own limit and hierarchical_memory_limit', () => {
  const limited = parseFlatKeyed(read('real-v1-limited', 'memory.stat'));
  const unlimited = parseFlatKeyed(read('real-v1-root', 'memory.stat'));
  const none = parseFlatKeyed('cache 1\n');
  assert.equal(v1EffectiveLimit(null, limited), 67108864, 'a parent limit applies');
  assert.equal(v1EffectiveLimit(1000, limited), 1000);
  assert.equal(v1EffectiveLimit(null, unlimited), null);
  assert.equal(v1EffectiveLimit(5000, unlimited), 5000);
  assert.equal(v1EffectiveLimit(5000, none), 5000);
});

test('inactiveFileBytes: v1 prefers total_inactive_file; v2 reads inactive_file', () => {
  assert.deepEqual(inactiveFileBytes(parseFlatKeyed(read('real-v1-root', 'memory.stat')), 1), {
    bytes: 116322304,
  });
  assert.deepEqual(inactiveFileBytes(parseFlatKeyed(read('v1-stat-local-only', 'memory.stat')), 1), {
    bytes: 33554432,
  });
  assert.deepEqual(inactiveFileBytes(parseFlatKeyed(read('v2-limited', 'memory.stat')), 2), {
    bytes: 125829120,
  });
  assert.deepEqual(inactiveFileBytes(parseFlatKeyed(read('v2-stat-no-inactive', 'memory.stat')), 2), {
    reason: 'memory.stat has no inactive_file',
  });
});

test('working set = usage - inactive_file, floored at 0; usage alone without inactive_file', () => {
  assert.equal(workingSetBytes(66502656, 33554432), 32948224);
  assert.equal(workingSetBytes(100, 150), 0);
  assert.equal(workingSetBytes(100, undefined), 100);
  assert.equal(limitPressure(32948224, 67108864), 0.490966796875);
  assert.equal(limitPressure(200, 100), 1, 'over the limit clamps to 1');
  assert.equal(limitPressure(0, 0), 1, 'a zero limit is full');
});

test('events: v2 memory.events by name; v1 failcnt and oom_control', () => {
  assert.deepEqual(eventsFromV2(parseFlatKeyed(read('v2-limited', 'memory.events'))), {
    high: 12,
    max: 3,
    oom: 0,
    oomKill: 0,
  });
  assert.deepEqual(eventsFromV2(parseFlatKeyed('')), {});
  assert.deepEqual(eventsFromV1(2691, parseFlatKeyed(read('real-v1-limited', 'memory.oom_control'))), {
    events: { max: 2691, oomKill: 0 },
    underOom: false,
  });
  assert.deepEqual(eventsFromV1(undefined, parseFlatKeyed(read('v1-under-oom', 'memory.oom_control'))), {
    events: { oomKill: 2 },
    underOom: true,
  });
  assert.deepEqual(eventsFromV1(undefined, undefined), { events: {} });
});
