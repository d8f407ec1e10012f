import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { MAX_EXPOSITION_BYTES } from '../../probes/prometheus-limits.js';
import { parsePromText } from '../../probes/prometheus-text.js';
import { parseFloatToken } from '../../probes/prometheus-values.js';
import { fixtures } from '../helpers/paths.js';
import type { MetricFamily, PromTextParse } from '../../probes/prometheus-text.js';

const read = (name: string): string => readFileSync(fixtures('prometheus', name), 'utf8');

function families(parsed: PromTextParse): ReadonlyMap<string, MetricFamily> {
  if (!parsed.ok) assert.fail(`unexpected parse failure: ${parsed.reason}`);
  return parsed.families;
}

function family(parsed: PromTextParse, name: string): MetricFamily {
  const found = families(parsed).get(name);
  assert.ok(found, `family ${name} missing`);
  return found;
}

const values = (f: MetricFamily): number[] => f.samples.map((s) => s.value);

/** Every fixture and what parsing it gives: the number of families, or the failing line and message. */
const expected: Record<string, { families: number } | { line: number; reason: RegExp }> = {
  'go-scrape-1.txt': { families: 21 },
  'go-scrape-2.txt': { families: 21 },
  'empty.txt': { families: 0 },
  'nan-inf.txt': { families: 2 },
  'huge-numbers.txt': { families: 2 },
  'timestamps.txt': { families: 4 },
  'whitespace-and-commas.txt': { families: 3 },
  'untyped.txt': { families: 5 },
  'bad-escape.txt': { line: 4, reason: /^line 4: invalid escape \\s in the value of label path$/ },
  'duplicate-label.txt': { line: 2, reason: /^line 2: duplicate label protocol$/ },
  'missing-value.txt': { line: 5, reason: /^line 5: missing value for go_threads$/ },
  'garbage-line.txt': { line: 5, reason: /^line 5: expected a metric name, got "<"$/ },
  'value-out-of-range.txt': { line: 3, reason: /^line 3: value 1e309 of big is out of the float64 range$/ },
  'type-after-samples.txt': { line: 2, reason: /^line 2: # TYPE line for go_goroutines after its samples$/ },
  'second-type.txt': { line: 2, reason: /^line 2: second # TYPE line for go_goroutines$/ },
  'duplicate-series.txt': {
    line: 4,
    reason: /^line 4: duplicate series nas_inflight_requests\{protocol="nfs",tier="hot"\}$/,
  },
  'unterminated-label.txt': { line: 2, reason: /^line 2: unterminated value of label path$/ },
  'bucket-without-le.txt': { line: 3, reason: /^line 3: req_seconds_bucket has no le label$/ },
  'bad-timestamp.txt': { line: 2, reason: /^line 2: bad timestamp "1395066363000.5" for go_goroutines$/ },
};

test('every fixture parses to what the table says, errors with their line number', () => {
  const files = readdirSync(fixtures('prometheus')).sort();
  assert.deepEqual(files, Object.keys(expected).sort(), 'a fixture without an expectation, or the reverse');
  for (const file of files) {
    const parsed = parsePromText(read(file));
    const want = expected[file];
    assert.ok(want);
    if ('families' in want) {
      assert.equal(families(parsed).size, want.families, file);
    } else {
      assert.ok(!parsed.ok, `${file} should fail`);
      assert.equal(parsed.line, want.line, file);
      assert.match(parsed.reason, want.reason, file);
    }
  }
});

test('a Go exposition: types, HELP, histogram and summary samples grouped under their family', () => {
  const parsed = parsePromText(read('go-scrape-1.txt'));
  const goroutines = family(parsed, 'go_goroutines');
  assert.deepEqual(goroutines, {
    name: 'go_goroutines',
    type: 'gauge',
    help: 'Number of goroutines that currently exist.',
    samples: [{ name: 'go_goroutines', labels: {}, value: 248 }],
  });
  const sched = family(parsed, 'go_sched_latencies_seconds');
  assert.equal(sched.type, 'histogram');
  assert.deepEqual(
    sched.samples.map((s) => s.name),
    [
      ...Array<string>(8).fill('go_sched_latencies_seconds_bucket'),
      'go_sched_latencies_seconds_sum',
      'go_sched_latencies_seconds_count',
    ],
  );
  assert.deepEqual(sched.samples[0], {
    name: 'go_sched_latencies_seconds_bucket',
    labels: { le: '6.399999999999999e-08' },
    value: 412000,
  });
  assert.deepEqual(sched.samples[7]?.labels, { le: '+Inf' });
  assert.equal(families(parsed).has('go_sched_latencies_seconds_bucket'), false);
  const gc = family(parsed, 'go_gc_duration_seconds');
  assert.equal(gc.type, 'summary');
  assert.deepEqual(
    gc.samples.map((s) => [s.name, s.labels.quantile, s.value]),
    [
      ['go_gc_duration_seconds', '0', 2.4318e-5],
      ['go_gc_duration_seconds', '0.25', 4.0702e-5],
      ['go_gc_duration_seconds', '0.5', 5.2093e-5],
      ['go_gc_duration_seconds', '0.75', 7.4101e-5],
      ['go_gc_duration_seconds', '1', 0.000893447],
      ['go_gc_duration_seconds_sum', undefined, 0.097411362],
      ['go_gc_duration_seconds_count', undefined, 1417],
    ],
  );
  const requests = family(parsed, 'nas_request_duration_seconds');
  assert.equal(requests.samples.length, 16);
  assert.deepEqual(requests.samples[0]?.labels, { protocol: 'nfs', le: '0.001' });
  assert.equal(family(parsed, 'process_cpu_seconds_total').type, 'counter');
  assert.deepEqual(values(family(parsed, 'process_virtual_memory_max_bytes')), [1.8446744073709552e19]);
  assert.deepEqual(values(family(parsed, 'process_max_fds')), [1048576]);
  assert.deepEqual(
    family(parsed, 'promhttp_metric_handler_requests_total').samples.map((s) => s.labels.code),
    ['200', '500', '503'],
  );
});

test('escapes: \\\\ \\" \\n in label values; \\\\ and \\n in HELP', () => {
  const share = family(parsePromText(read('go-scrape-1.txt')), 'nas_share_info');
  assert.equal(share.help, 'Shares served, as UNC paths like \\\\nas01\\media.\nOne series per share.');
  assert.deepEqual(share.samples[0]?.labels, {
    path: '\\\\nas01\\media',
    name: 'say "cheese"',
    note: 'line one\nline two',
  });
  const help = family(parsePromText('# HELP x a \\t b \\\\n c\\\n'), 'x');
  assert.equal(help.help, 'a \\t b \\n c\\', 'other backslashes kept as written');
});

test('NaN, +Inf, -Inf in any case; NaN summary quantiles', () => {
  const parsed = parsePromText(read('nan-inf.txt'));
  assert.deepEqual(values(family(parsed, 'temperature_celsius')), [Infinity, -Infinity, NaN, -Infinity]);
  const rpc = family(parsed, 'rpc_duration_seconds');
  assert.deepEqual(values(rpc), [NaN, NaN, 0, 0]);
});

test('huge, tiny and long numbers', () => {
  const big = family(parsePromText(read('huge-numbers.txt')), 'big');
  assert.deepEqual(values(big), [
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    9007199254740992, // the nearest float64, as Go's ParseFloat gives
    5e-324,
    0,
    42.5,
  ]);
});

test('timestamps, leading and trailing blanks, an untyped metric', () => {
  const parsed = parsePromText(read('timestamps.txt'));
  assert.deepEqual(family(parsed, 'http_requests_total').samples, [
    {
      name: 'http_requests_total',
      labels: { method: 'post', code: '200' },
      value: 1027,
      timestampMs: 1395066363000,
    },
    {
      name: 'http_requests_total',
      labels: { method: 'post', code: '400' },
      value: 3,
      timestampMs: 1395066363000,
    },
  ]);
  assert.deepEqual(family(parsed, 'metric_without_timestamp_and_labels'), {
    name: 'metric_without_timestamp_and_labels',
    type: 'untyped',
    samples: [{ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 }],
  });
  assert.deepEqual(family(parsed, 'something_weird').samples[0], {
    name: 'something_weird',
    labels: { problem: 'division by zero' },
    value: Infinity,
    timestampMs: -3982045,
  });
  assert.deepEqual(values(family(parsed, 'minimal')), [1000]);
});

test('blanks inside label sets, trailing commas, {} and a value right after }', () => {
  const parsed = parsePromText(read('whitespace-and-commas.txt'));
  assert.deepEqual(
    family(parsed, 'nas_inflight_requests').samples.map((s) => [s.labels, s.value]),
    [
      [{ protocol: 'nfs' }, 3],
      [{ protocol: 'smb', tier: 'hot' }, 9],
      [{ protocol: '' }, 1],
    ],
  );
  assert.deepEqual(family(parsed, 'empty_label_set').samples[0]?.labels, {});
  assert.equal(family(parsed, 'tight_gauge').type, 'gauge');
  assert.deepEqual(values(family(parsed, 'tight_gauge')), [7]);
});

test('without # TYPE, histogram suffixes are families of their own', () => {
  const parsed = parsePromText(read('untyped.txt'));
  assert.deepEqual(
    [...families(parsed).keys()],
    [
      'legacy_queue_depth',
      'legacy_latency_seconds_bucket',
      'legacy_latency_seconds_sum',
      'legacy_latency_seconds_count',
      'explicit_untyped',
    ],
  );
  assert.equal(family(parsed, 'legacy_latency_seconds_bucket').samples.length, 3);
  assert.equal(family(parsed, 'explicit_untyped').type, 'untyped');
});

test('tolerated: CRLF, no final newline, TYPE in upper case, a family split in two groups', () => {
  const parsed = parsePromText('# TYPE a GAUGE\r\na{x="1"} 1\r\nb 2\na{x="2"} 3');
  assert.deepEqual(family(parsed, 'a'), {
    name: 'a',
    type: 'gauge',
    samples: [
      { name: 'a', labels: { x: '1' }, value: 1 },
      { name: 'a', labels: { x: '2' }, value: 3 },
    ],
  });
});

test('a label named __proto__ is an own property, not the prototype', () => {
  const sample = family(parsePromText('x{__proto__="evil",a="1"} 1\n'), 'x').samples[0];
  assert.ok(sample);
  assert.equal(Object.getPrototypeOf(sample.labels), Object.prototype);
  assert.deepEqual(Object.keys(sample.labels), ['__proto__', 'a']);
  assert.equal(Object.getOwnPropertyDescriptor(sample.labels, '__proto__')?.value, 'evil');
});

test('Unicode in label values and HELP passes through', () => {
  const f = family(parsePromText('# HELP x Größe ✓\nx{path="/données/é"} 1\n'), 'x');
  assert.equal(f.help, 'Größe ✓');
  assert.equal(f.samples[0]?.labels.path, '/données/é');
});

/** One message per error, with the line it names. */
const errors: ReadonlyArray<readonly [string, string]> = [
  ['go-goroutines 1\n', 'line 1: bad character "-" after metric name go'],
  ['1abc 1\n', 'line 1: expected a metric name, got "1"'],
  ['x{1a="b"} 1\n', `line 1: expected a label name or '}', got "1"`],
  ['x{a="b",,} 1\n', `line 1: expected a label name or '}', got ","`],
  ['x{a "b"} 1\n', "line 1: expected '=' after label a"],
  ['x{a=b} 1\n', `line 1: expected '"' to open the value of label a`],
  ['x{a="b" c="d"} 1\n', "line 1: expected ',' or '}' after the value of label a"],
  ['x{a="b\\', 'line 1: unterminated value of label a'],
  ['ok 1\nx one\n', 'line 2: bad value "one" for x'],
  ['x 0x1A\n', 'line 1: bad value "0x1A" for x'],
  ['x 1 2 3\n', 'line 1: unexpected "3" after the timestamp of x'],
  ['x 1 99999999999999999999\n', 'line 1: timestamp 99999999999999999999 of x is out of range'],
  ['# HELP\n', 'line 1: # HELP needs a metric name, got end of line'],
  ['# HELP x one\n# HELP x two\n', 'line 2: second # HELP line for x'],
  ['# TYPE x\n', 'line 1: unknown metric type "" for x'],
  ['# TYPE x gauges\n', 'line 1: unknown metric type "gauges" for x'],
  ['# TYPE x gauge extra\n', 'line 1: unexpected "e" after # TYPE x gauge'],
  ['# TYPE x-y gauge\n', 'line 1: bad character "-" in metric name'],
  ['# TYPE h histogram\nh 1\n', 'line 2: histogram h has a sample without a suffix'],
  ['# TYPE h histogram\nh_bucket{le="soon"} 1\n', 'line 2: h_bucket has a bad le label "soon"'],
  ['# TYPE s summary\ns 1\n', 'line 2: s has no quantile label'],
  ['x{a=""} 1\nx 2\n', 'line 2: duplicate series x{}'],
];

test('each malformed line gives one clear message with its line number', () => {
  for (const [text, reason] of errors) {
    const parsed = parsePromText(text);
    assert.ok(!parsed.ok, `should fail: ${JSON.stringify(text)}`);
    assert.equal(parsed.reason, reason, JSON.stringify(text));
    assert.equal(parsed.line, Number(/^line (\d+)/.exec(reason)?.[1]));
  }
});

test('comments that are not HELP or TYPE are ignored; blank lines too', () => {
  assert.equal(families(parsePromText('#\n# hello\n   \n\t\n# EOF\n')).size, 0);
});

test('size bound: more than maxBytes (UTF-8) is refused before parsing', () => {
  assert.equal(MAX_EXPOSITION_BYTES, 4 * 1024 * 1024);
  const parsed = parsePromText('x{a="ééé"} 1\n', { maxBytes: 14 });
  const reason = 'exposition larger than the 14-byte limit';
  assert.deepEqual(parsed, { ok: false, reason, problem: reason });
  assert.ok(parsePromText('x{a="ééé"} 1\n', { maxBytes: 17 }).ok);
  const huge = parsePromText('#'.repeat(MAX_EXPOSITION_BYTES + 1));
  assert.ok(!huge.ok && huge.line === undefined);
});

test('linear time on long hostile lines and on a large valid exposition', () => {
  const n = MAX_EXPOSITION_BYTES - 100;
  const cases = [
    `x ${'1'.repeat(n)}x\n`, // a backtracking float regex would be quadratic here
    `x ${'1'.repeat(n)}.5e\n`,
    `x{a="${'\\\\'.repeat(n / 2 - 10)}`, // unterminated, all escapes
    `x{${Array.from({ length: 300_000 }, (_, i) => `l${i}="v"`).join(',')}} 1\n`, // many labels
    `# HELP x ${'\\\\'.repeat(n / 2 - 10)}\n`,
  ];
  for (const text of cases) {
    const started = performance.now();
    parsePromText(text);
    const took = performance.now() - started;
    assert.ok(took < 2500, `${took} ms for a ${text.length}-char line starting ${text.slice(0, 12)}`);
  }
  const scrape = read('go-scrape-1.txt');
  // 600 copies, each with its names prefixed so that no family or series repeats.
  const block = Array.from({ length: 600 }, (_, i) =>
    scrape.replaceAll(/^(# (?:HELP|TYPE) )?([a-z])/gm, `$1s${i}_$2`),
  ).join('');
  assert.ok(block.length < MAX_EXPOSITION_BYTES && block.length > 3 * 1024 * 1024, `${block.length}`);
  const started = performance.now();
  const parsed = parsePromText(block, { maxSamples: Infinity });
  const took = performance.now() - started;
  assert.equal(families(parsed).size, 21 * 600);
  assert.ok(took < 3000, `${took} ms for ${block.length} bytes`);
});

test('parseFloatToken: Go ParseFloat forms, NaN when malformed', () => {
  assert.equal(parseFloatToken('+Inf'), Infinity);
  assert.equal(parseFloatToken('-infinity'), -Infinity);
  assert.ok(Number.isNaN(parseFloatToken('NaN')));
  assert.equal(parseFloatToken('1.5E-3'), 0.0015);
  assert.equal(parseFloatToken('.5'), 0.5);
  assert.equal(parseFloatToken('5.'), 5);
  for (const bad of ['', '.', '+', '1e', '1_000', ' 1', '0x10', 'Infinit', 'e5']) {
    assert.ok(Number.isNaN(parseFloatToken(bad)), bad);
  }
});
