import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../helpers/manual-clock.js';
import { parsePsi } from '../../core/kernel/psi-parse.js';
import { PsiProbe } from '../../probes/psi.js';
import { fixtures } from '../helpers/paths.js';

const text = (root: string): string => readFileSync(fixtures('proc', root, 'pressure', 'memory'), 'latin1');

function probe(root: string, clock = new ManualClock(1000)): PsiProbe {
  return new PsiProbe({ procRoot: fixtures('proc', root), clock, monotonicMs: () => clock.now() });
}

const line = (total: number, avg10 = 0): string =>
  `some avg10=${avg10.toFixed(2)} avg60=0.00 avg300=0.00 total=${total}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`;

/** A temp proc root with a pressure/memory file the test rewrites, and a probe on a manual clock. */
function tempProbe(t: { after: (fn: () => void) => void }, saturation = 10) {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-psi-'));
  mkdirSync(join(root, 'pressure'));
  const path = join(root, 'pressure', 'memory');
  const clock = new ManualClock(0);
  const psi = new PsiProbe({ procRoot: root, clock, saturation, monotonicMs: () => clock.now() });
  t.after(() => {
    psi.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { path, clock, psi, write: (s: string) => writeFileSync(path, s) };
}

test('parsePsi: the real capture from this machine', () => {
  const zero = { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 };
  assert.deepEqual(parsePsi(text('real')), { ok: true, psi: { some: zero, full: zero } });
});

test('PsiProbe: the real capture (no stall) gives 0 from avg10 on the first sample', () => {
  const reading = probe('real').collect();
  assert.equal(reading.value, 0);
  assert.equal(reading.stale, false);
  assert.match(reading.reason ?? '', /first sample, from avg10/);
});

test('parsePsi and PsiProbe: a nonzero total, first sample uses avg10 = 9 % -> 0.9', () => {
  assert.deepEqual(parsePsi(text('pressured')), {
    ok: true,
    psi: {
      some: { avg10: 9, avg60: 6.5, avg300: 2.25, totalUs: 123456789 },
      full: { avg10: 3.1, avg60: 2, avg300: 0.75, totalUs: 45678901 },
    },
  });
  const p = probe('pressured');
  const reading = p.collect();
  assert.ok(Math.abs(reading.value - 0.9) < 1e-12);
  assert.equal(reading.at, 1000);
});

test('truncated: a cut-short full line is dropped, the complete some line is used', () => {
  assert.deepEqual(parsePsi(text('psi-truncated')), {
    ok: true,
    psi: { some: { avg10: 1.5, avg60: 0.8, avg300: 0.2, totalUs: 98765 } },
  });
  assert.ok(Math.abs(probe('psi-truncated').collect().value - 0.15) < 1e-12);
});

test('truncated inside the some line: an error, never a cut-short total', () => {
  assert.deepEqual(parsePsi('some avg10=1.50 avg60=0.80 avg300=0.20 total=98'), {
    ok: false,
    reason: 'pressure file: no "some" line (last line truncated)',
  });
  assert.deepEqual(parsePsi('some avg10=1.50 avg60=x avg300=0.20 total=98\n'), {
    ok: false,
    reason: 'pressure file: some line has no valid avg60',
  });
  assert.deepEqual(parsePsi('some avg10=1.50 avg60=0.8 avg300=0.20\n'), {
    ok: false,
    reason: 'pressure file: some line has no valid total',
  });
});

test('empty pressure file: stale reading with a reason', () => {
  assert.deepEqual(parsePsi(text('psi-empty')), { ok: false, reason: 'pressure file is empty' });
  const reading = probe('psi-empty').collect();
  assert.equal(reading.stale, true);
  assert.ok(Number.isNaN(reading.value));
  assert.match(reading.reason ?? '', /psi-empty\/pressure\/memory: pressure file is empty/);
});

test('no pressure file (kernel without PSI): stale, the reason says so', () => {
  const reading = probe('meminfo-empty').collect();
  assert.equal(reading.stale, true);
  assert.match(reading.reason ?? '', /pressure\/memory: not found \(ENOENT\) \(kernel without PSI/);
});

test('delta: 50 ms stalled over 1 s is 5 %, half of the default saturation', (t) => {
  const { clock, psi, write } = tempProbe(t);
  write(line(1_000_000, 40));
  assert.equal(psi.collect().value, 1, 'first sample: avg10 40 % saturates');
  clock.advance(1000);
  write(line(1_050_000, 40));
  const reading = psi.collect();
  assert.ok(Math.abs(reading.value - 0.5) < 1e-12);
  assert.equal(reading.reason, undefined);
  assert.equal(reading.at, 1000);
  clock.advance(500);
  write(line(1_050_000, 40));
  assert.equal(psi.collect().value, 0, 'no stall since the previous sample');
});

test('delta: the saturation option scales, and the value is capped at 1', (t) => {
  const { clock, psi, write } = tempProbe(t, 20);
  write(line(0));
  psi.collect();
  clock.advance(100);
  write(line(10_000)); // 10 ms of 100 ms: 10 %, half of 20
  assert.ok(Math.abs(psi.collect().value - 0.5) < 1e-12);
  clock.advance(100);
  write(line(90_000)); // 80 ms of 100 ms: 80 %
  assert.equal(psi.collect().value, 1);
});

test('a counter that goes backwards falls back to avg10, then deltas resume', (t) => {
  const { clock, psi, write } = tempProbe(t);
  write(line(5_000_000));
  psi.collect();
  clock.advance(1000);
  write(line(1000, 2));
  const reset = psi.collect();
  assert.ok(Math.abs(reset.value - 0.2) < 1e-12);
  assert.match(reset.reason ?? '', /went backwards/);
  clock.advance(1000);
  write(line(31_000, 2)); // 30 ms of 1 s: 3 %
  assert.ok(Math.abs(psi.collect().value - 0.3) < 1e-12);
});

test('samples closer than minIntervalMs reuse the previous value and keep the baseline', (t) => {
  const { clock, psi, write } = tempProbe(t);
  write(line(0));
  psi.collect();
  clock.advance(1000);
  write(line(20_000)); // 2 %
  assert.ok(Math.abs(psi.collect().value - 0.2) < 1e-12);
  clock.advance(1);
  write(line(21_000)); // 1 ms of 1 ms would read 100 %
  assert.ok(Math.abs(psi.collect().value - 0.2) < 1e-12);
  clock.advance(999);
  write(line(60_000)); // 40 ms since the baseline, 1 s ago: 4 %
  assert.ok(Math.abs(psi.collect().value - 0.4) < 1e-12);
});

test('a file that vanishes gives stale, then fresh again; the baseline survives', (t) => {
  const { path, clock, psi, write } = tempProbe(t);
  write(line(0));
  psi.collect();
  clock.advance(1000);
  unlinkSync(path);
  assert.equal(psi.collect().stale, true);
  clock.advance(1000);
  write(line(100_000)); // 100 ms over the 2 s since the last good sample: 5 %
  const back = psi.collect();
  assert.equal(back.stale, false);
  assert.ok(Math.abs(back.value - 0.5) < 1e-12);
});

test('a non-positive saturation is a programming error at construction', () => {
  assert.throws(() => new PsiProbe({ saturation: 0 }), RangeError);
});

test("PsiProbe: this machine's live /proc", { skip: !existsSync('/proc/pressure/memory') }, () => {
  const p = new PsiProbe();
  const first = p.collect();
  const second = p.collect();
  p.close();
  assert.equal(first.stale, false);
  assert.ok(second.value >= 0 && second.value <= 1);
});
