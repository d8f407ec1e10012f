/**
 * The probes' fast paths (`scanMeminfo`, `scanPsiSome`) must never disagree with the tolerant
 * parsers: whenever a fast path answers, the parser gives the same numbers. Properties over
 * generated files, near-misses included, plus the real captures, which must take the fast path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { LineScanner, MAX_SCAN_DIGITS } from '../../core/kernel/line-scanner.js';
import { parseMeminfo, scanMeminfo } from '../../probes/meminfo.js';
import { parsePsi, scanPsiSome } from '../../core/kernel/psi-parse.js';
import { fixtures } from '../helpers/paths.js';

const read = (...parts: string[]): string => readFileSync(fixtures('proc', ...parts), 'latin1');

/** `usual` four times in five, else one of the odd values: most files stay close to the kernel's. */
const mostly = <T>(usual: fc.Arbitrary<T>, ...odd: T[]): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: fc.constantFrom(...odd), weight: 1 });

/** Digit strings, some around the fast path's 15-digit limit, and a few non-numbers. */
const numberText = mostly(
  fc.oneof(
    { arbitrary: fc.stringMatching(/^\d{1,9}$/), weight: 4 },
    {
      arbitrary: fc.stringMatching(new RegExp(`^\\d{${MAX_SCAN_DIGITS - 1},${MAX_SCAN_DIGITS + 2}}$`)),
      weight: 1,
    },
  ),
  '0',
  '00',
  '',
  'oops',
  '1.5',
  '-1',
  ' 7',
);
const decimalText = mostly(
  fc.oneof(fc.stringMatching(/^\d{1,3}\.\d{1,3}$/), fc.stringMatching(/^\d{1,9}\.\d{1,9}$/), numberText),
  '.5',
  '1.',
  '1..2',
  '1.5.',
  'x',
);
const blank = fc.constantFrom('', ' ', '  ', '\t', ' \t ');
const eol = mostly(fc.constant('\n'), '\r\n', '', ' \n');

const meminfoLine = fc
  .record({
    key: mostly(
      fc.constantFrom('MemTotal', 'MemAvailable', 'MemFree'),
      ' MemTotal',
      'memtotal',
      'MemAvailable2',
    ),
    colon: mostly(fc.constant(':'), '::', '', ' :'),
    before: blank,
    value: numberText,
    unit: mostly(fc.constantFrom(' kB', '  kB', ''), '\tkB', ' \tkB', 'kB', ' kB ', ' ', ' MB'),
    eol,
  })
  .map((l) => `${l.key}${l.colon}${l.before}${l.value}${l.unit}${l.eol}`);

/** Runs per property; each must see the fast path answer often enough to mean something. */
const RUNS = 5000;

test('scanMeminfo agrees with parseMeminfo whenever it answers', () => {
  let answered = 0;
  fc.assert(
    fc.property(fc.array(meminfoLine, { maxLength: 8 }), (lines) => {
      const text = lines.join('');
      const fast = scanMeminfo(text);
      if (fast === undefined) return;
      answered++;
      const parsed = parseMeminfo(text);
      assert.ok(parsed.ok, `the fast path answered for ${JSON.stringify(text)}, the parser did not`);
      assert.equal(fast.memTotalKb, parsed.meminfo.memTotalKb);
      assert.equal(fast.memAvailableKb, parsed.meminfo.memAvailableKb);
    }),
    { numRuns: RUNS },
  );
  assert.ok(answered > RUNS / 100, `the fast path answered only ${answered} times`);
});

test('scanMeminfo answers for the real captures and leaves the odd files to the parser', () => {
  assert.deepEqual(scanMeminfo(read('real', 'meminfo')), { memTotalKb: 24684084, memAvailableKb: 24148068 });
  assert.deepEqual(scanMeminfo(read('pressured', 'meminfo')), {
    memTotalKb: 16000000,
    memAvailableKb: 4000000,
  });
  for (const root of ['meminfo-empty', 'meminfo-huge', 'meminfo-no-available', 'meminfo-truncated']) {
    assert.equal(scanMeminfo(read(root, 'meminfo')), undefined, root);
  }
  assert.equal(
    scanMeminfo('MemTotal: 0 kB\nMemAvailable: 0 kB\n'),
    undefined,
    'MemTotal 0 is for the parser',
  );
});

const psiLine = (kind: string) =>
  fc
    .record({
      lead: mostly(fc.constant(''), ' ', '\t'),
      sep: mostly(fc.constant(' '), '  ', '\t'),
      avg10: decimalText,
      avg60: decimalText,
      avg300: decimalText,
      total: numberText,
      order: mostly(fc.constant('kernel'), 'shuffled', 'no-total'),
      eol,
    })
    .map((l) => {
      const pairs = [`avg10=${l.avg10}`, `avg60=${l.avg60}`, `avg300=${l.avg300}`, `total=${l.total}`];
      if (l.order === 'shuffled') pairs.reverse();
      if (l.order === 'no-total') pairs.pop();
      return `${l.lead}${kind}${l.sep}${pairs.join(l.sep)}${l.eol}`;
    });

test('scanPsiSome agrees with parsePsi whenever it answers', () => {
  let answered = 0;
  const line = fc.oneof({ arbitrary: psiLine('some'), weight: 3 }, psiLine('full'), psiLine('sum'));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 4 }), (lines) => {
      const text = lines.join('');
      const fast = scanPsiSome(text);
      if (fast === undefined) return;
      answered++;
      const parsed = parsePsi(text);
      assert.ok(parsed.ok, `the fast path answered for ${JSON.stringify(text)}, the parser did not`);
      assert.deepEqual(fast, parsed.psi.some);
    }),
    { numRuns: RUNS },
  );
  assert.ok(answered > RUNS / 100, `the fast path answered only ${answered} times`);
});

test('scanPsiSome answers for the real captures and leaves the odd files to the parser', () => {
  assert.deepEqual(scanPsiSome(read('real', 'pressure', 'memory')), {
    avg10: 0,
    avg60: 0,
    avg300: 0,
    totalUs: 0,
  });
  assert.deepEqual(scanPsiSome(read('pressured', 'pressure', 'memory')), {
    avg10: 9,
    avg60: 6.5,
    avg300: 2.25,
    totalUs: 123456789,
  });
  assert.equal(scanPsiSome(read('psi-empty', 'pressure', 'memory')), undefined);
  assert.equal(scanPsiSome('some avg10=1.50 avg60=0.80 avg300=0.20 total=98'), undefined, 'cut short');
});

test('LineScanner.decimal reads exactly what Number() reads', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^\d{1,8}(\.\d{1,7})?$/), (text) => {
      assert.equal(new LineScanner(text).decimal(), Number(text));
    }),
    { numRuns: 5000 },
  );
  assert.ok(Number.isNaN(new LineScanner('1234567890123456').integer()), 'more than 15 digits');
  assert.ok(Number.isNaN(new LineScanner('1.').decimal()), 'a dot with no digit after it');
});
