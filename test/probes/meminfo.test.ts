import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../helpers/manual-clock.js';
import { MeminfoProbe, cachePressureFromMeminfo, parseMeminfo } from '../../probes/meminfo.js';
import { fixtures } from '../helpers/paths.js';

const text = (root: string): string => readFileSync(fixtures('proc', root, 'meminfo'), 'latin1');

function probe(root: string, clock = new ManualClock(1000)): MeminfoProbe {
  return new MeminfoProbe({ procRoot: fixtures('proc', root), clock });
}

test('parseMeminfo: the real capture from this machine', () => {
  const parsed = parseMeminfo(text('real'));
  assert.ok(parsed.ok);
  assert.equal(parsed.meminfo.memTotalKb, 24684084);
  assert.equal(parsed.meminfo.memAvailableKb, 24148068);
  assert.equal(parsed.meminfo.inactiveFileKb, 48344);
  assert.equal(parsed.meminfo.fields.get('HugePages_Total'), 0);
  assert.equal(parsed.meminfo.fields.get('VmallocTotal'), 34359738367);
});

test('MeminfoProbe: the real capture gives 1 - available / total', () => {
  const reading = probe('real').collect();
  assert.equal(reading.stale, false);
  assert.equal(reading.at, 1000);
  assert.ok(Math.abs(reading.value - (1 - 24148068 / 24684084)) < 1e-12);
});

test('MeminfoProbe: 75 % used (MemTotal 16000000, MemAvailable 4000000) gives 0.75', () => {
  const parsed = parseMeminfo(text('pressured'));
  assert.ok(parsed.ok);
  assert.equal(parsed.meminfo.cachedKb, 3200000);
  assert.deepEqual(probe('pressured').collect(), { value: 0.75, at: 1000, stale: false });
});

test('missing MemAvailable: parse error naming it, stale reading', () => {
  assert.deepEqual(parseMeminfo(text('meminfo-no-available')), {
    ok: false,
    reason: 'meminfo has no MemAvailable',
  });
  const reading = probe('meminfo-no-available').collect();
  assert.equal(reading.stale, true);
  assert.ok(Number.isNaN(reading.value));
  assert.match(reading.reason ?? '', /meminfo-no-available\/meminfo: meminfo has no MemAvailable$/);
});

test('truncated last line: the cut-short MemAvailable is not trusted', () => {
  assert.deepEqual(parseMeminfo(text('meminfo-truncated')), {
    ok: false,
    reason: 'meminfo has no MemAvailable (last line truncated)',
  });
  assert.equal(probe('meminfo-truncated').collect().stale, true);
});

test('huge numbers: big safe values are exact, an unsafe unrelated field is dropped', () => {
  const parsed = parseMeminfo(text('meminfo-huge'));
  assert.ok(parsed.ok);
  assert.equal(parsed.meminfo.memTotalKb, 2 ** 52);
  assert.equal(parsed.meminfo.fields.has('VmallocTotal'), false);
  assert.equal(probe('meminfo-huge').collect().value, 0.75);
});

test('an unsafe MemTotal is an error naming it', () => {
  const parsed = parseMeminfo('MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n');
  assert.deepEqual(parsed, { ok: false, reason: 'meminfo MemTotal is too large (above 2^53)' });
});

test('empty file: parse error, stale reading', () => {
  assert.deepEqual(parseMeminfo(text('meminfo-empty')), { ok: false, reason: 'meminfo is empty' });
  const reading = probe('meminfo-empty').collect();
  assert.equal(reading.stale, true);
  assert.match(reading.reason ?? '', /meminfo is empty/);
});

test('parseMeminfo tolerates garbage lines and rejects MemTotal 0', () => {
  const parsed = parseMeminfo(
    'garbage\nMemTotal: 100 kB\n: 5 kB\nMemAvailable:  oops\nMemAvailable: 25 kB\n',
  );
  assert.ok(parsed.ok);
  assert.equal(cachePressureFromMeminfo(parsed.meminfo), 0.75);
  assert.deepEqual(parseMeminfo('MemTotal: 0 kB\nMemAvailable: 0 kB\n'), {
    ok: false,
    reason: 'meminfo MemTotal is 0',
  });
});

test('cachePressureFromMeminfo clamps to [0, 1]', () => {
  assert.equal(cachePressureFromMeminfo({ memTotalKb: 100, memAvailableKb: 150 }), 0);
  assert.equal(cachePressureFromMeminfo({ memTotalKb: 100, memAvailableKb: 0 }), 1);
  assert.ok(Number.isNaN(cachePressureFromMeminfo({ memTotalKb: 0, memAvailableKb: 0 })));
});

test('MeminfoProbe: a root with no meminfo is stale with a reason', () => {
  const reading = probe('psi-empty').collect();
  assert.equal(reading.stale, true);
  assert.match(reading.reason ?? '', /meminfo: not found/);
});

test('MeminfoProbe: a file that vanishes gives stale, then fresh again with the new content', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-meminfo-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const path = join(root, 'meminfo');
  writeFileSync(path, 'MemTotal: 1000 kB\nMemAvailable: 500 kB\n');
  const clock = new ManualClock(0);
  const p = new MeminfoProbe({ procRoot: root, clock });
  t.after(() => p.close());
  assert.deepEqual(p.collect(), { value: 0.5, at: 0, stale: false });
  writeFileSync(path, 'MemTotal: 1000 kB\nMemAvailable: 100 kB\n');
  clock.advance(100);
  assert.deepEqual(p.collect(), { value: 0.9, at: 100, stale: false });
  unlinkSync(path);
  clock.advance(100);
  const gone = p.collect();
  assert.equal(gone.stale, true);
  assert.equal(gone.at, 200);
  writeFileSync(path, 'MemTotal: 1000 kB\nMemAvailable: 800 kB\n');
  clock.advance(100);
  const back = p.collect();
  assert.equal(back.stale, false);
  assert.ok(Math.abs(back.value - 0.2) < 1e-12);
});

test("MeminfoProbe: this machine's live /proc", { skip: !existsSync('/proc/meminfo') }, () => {
  const p = new MeminfoProbe();
  const reading = p.collect();
  p.close();
  assert.equal(reading.stale, false);
  assert.ok(reading.value >= 0 && reading.value <= 1);
});
