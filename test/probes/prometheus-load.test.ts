import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { ManualClock } from '../helpers/manual-clock.js';
import { histogramQuantile } from '../../probes/histogram-quantile.js';
import { fetchPrometheusLoad } from '../../probes/prometheus-fetch.js';
import { PromLoadEvaluator, termName } from '../../probes/prometheus-load.js';
import { parsePromText } from '../../probes/prometheus-text.js';
import { fixtures } from '../helpers/paths.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PromLoadSpec, PromLoadTerm } from '../../core/signal-specs.js';
import type { PromLoadEvaluation, PromTermResult } from '../../probes/prometheus-load.js';
import type { MetricFamily } from '../../probes/prometheus-text.js';
import { serveDuringSuite } from '../helpers/http-server.js';

const text = (name: string): string => readFileSync(fixtures('prometheus', name), 'utf8');

function parse(source: string): ReadonlyMap<string, MetricFamily> {
  const parsed = parsePromText(source);
  if (!parsed.ok) assert.fail(parsed.reason);
  return parsed.families;
}

const scrape1 = parse(text('go-scrape-1.txt'));
const scrape2 = parse(text('go-scrape-2.txt'));

const close = (actual: number | undefined, expected: number, what = ''): void => {
  const ok =
    actual !== undefined && Math.abs(actual - expected) <= 1e-12 * Math.max(1e-9, Math.abs(expected));
  assert.ok(ok, `${what} ${actual} != ${expected}`);
};

function only(evaluation: PromLoadEvaluation): PromTermResult {
  assert.equal(evaluation.terms.length, 1);
  const [term] = evaluation.terms;
  assert.ok(term);
  return term;
}

function value(evaluation: PromLoadEvaluation): { value: number; raw: number; note?: string } {
  const term = only(evaluation);
  if (!term.ok) assert.fail(`term missing: ${term.reason}`);
  return term;
}

function missing(evaluation: PromLoadEvaluation): string {
  const term = only(evaluation);
  if (term.ok) assert.fail(`term has a value: ${term.value}`);
  return term.reason;
}

// The fixture's go_sched_latencies_seconds bounds (client_golang's coarse exponential layout).
const LE = [
  6.399999999999999e-8, 6.399999999999999e-7, 7.167999999999999e-6, 8.191999999999999e-5,
  0.0009175039999999999, 0.010485759999999998, 0.11744051199999998,
];
const schedP99: PromLoadTerm = { metric: 'go_sched_latencies_seconds', quantile: 0.99, limit: 0.1 };

test('histogramQuantile: hand-computed interpolation, as PromQL histogram_quantile', () => {
  const b = (pairs: ReadonlyArray<readonly [number, number]>): { le: number; count: number }[] =>
    pairs.map(([le, count]) => ({ le, count }));
  const even = b([
    [1, 10],
    [2, 20],
    [4, 40],
    [Infinity, 40],
  ]);
  assert.equal(histogramQuantile(0.25, even), 1); // rank 10: top of the first bucket, from 0
  assert.equal(histogramQuantile(0.5, even), 2); // rank 20: top of the second
  assert.equal(histogramQuantile(0.75, even), 3); // rank 30: half-way through (2, 4]
  assert.equal(histogramQuantile(0.1, even), 0.4); // rank 4: 4/10 of (0, 1]
  assert.equal(histogramQuantile(0, even), 0);
  // A rank in the +Inf bucket gives the largest finite bound.
  assert.equal(
    histogramQuantile(
      0.99,
      b([
        [1, 10],
        [Infinity, 12],
      ]),
    ),
    1,
  );
  // A first bucket with a bound <= 0 is not interpolated (client_golang's le="-5e-324").
  assert.equal(
    histogramQuantile(
      0.2,
      b([
        [-1, 5],
        [1, 10],
        [Infinity, 10],
      ]),
    ),
    -1,
  );
  // Decreasing counts are made monotonic first: [10, 10, 10].
  assert.equal(
    histogramQuantile(
      0.5,
      b([
        [1, 10],
        [2, 8],
        [Infinity, 10],
      ]),
    ),
    0.5,
  );
  for (const bad of [
    b([[1, 10]]), // no +Inf
    b([
      [1, 5],
      [2, 10],
    ]), // no +Inf
    b([
      [1, 0],
      [Infinity, 0],
    ]), // no observations
  ]) {
    assert.ok(Number.isNaN(histogramQuantile(0.5, bad)));
  }
  assert.ok(Number.isNaN(histogramQuantile(1.5, even)));
  assert.ok(Number.isNaN(histogramQuantile(-0.1, even)));
});

test('scheduler latency p99: cumulative on the first scrape, the delta on the next, 0 without news', () => {
  const evaluator = new PromLoadEvaluator();
  // Scrape 1: 850000 observations; rank 841500 falls in (LE[2], LE[3]] holding 842300 - 771500.
  const first = value(evaluator.evaluate([schedP99], scrape1));
  const p99first = LE[2]! + (LE[3]! - LE[2]!) * ((841500 - 771500) / (842300 - 771500));
  close(first.raw, p99first, 'first raw');
  close(first.value, p99first / 0.1, 'first value');
  assert.equal(first.note, 'first scrape: distribution since start');
  // Scrape 2: 100000 new observations; cumulative deltas 30000 45000 60000 70000 90000 98000 99500 100000.
  // rank 99000 falls in (LE[5], LE[6]] holding 1500, 1000 of them below the rank.
  const second = evaluator.evaluate([schedP99], scrape2);
  const p99delta = LE[5]! + (LE[6]! - LE[5]!) * (1000 / 1500);
  close(value(second).raw, p99delta, 'delta raw');
  close(second.load, p99delta / 0.1, 'delta load'); // 0.8179: a busy scheduler
  assert.equal(value(second).note, undefined);
  assert.equal(second.reason, undefined);
  // Over the whole life the p99 is only 2.6 ms: the delta is what shows the current tail.
  const cumulative = new PromLoadEvaluator().evaluate([schedP99], scrape2);
  close(value(cumulative).raw, LE[4]! + (LE[5]! - LE[4]!) * ((940500 - 938900) / (947950 - 938900)));
  // Scrape 2 again: nothing observed since, the term is 0.
  const idle = value(evaluator.evaluate([schedP99], scrape2));
  assert.deepEqual([idle.raw, idle.value, idle.note], [0, 0, 'no observations since the last scrape']);
});

test('p50 over the delta, and two identical terms see the same delta', () => {
  const evaluator = new PromLoadEvaluator();
  const p50: PromLoadTerm = { metric: 'go_sched_latencies_seconds', quantile: 0.5, limit: 1e-5 };
  evaluator.evaluate([p50], scrape1);
  const result = evaluator.evaluate([p50, p50], scrape2);
  // rank 50000 in (LE[1], LE[2]]: deltas 45000 below, 15000 inside.
  const expected = LE[1]! + (LE[2]! - LE[1]!) * (5000 / 15000);
  for (const term of result.terms) {
    assert.ok(term.ok);
    close(term.raw, expected);
    close(term.value, expected / 1e-5);
  }
});

test('a counter reset (the service restarted) falls back to the distribution since the restart', () => {
  const evaluator = new PromLoadEvaluator();
  evaluator.evaluate([schedP99], scrape2);
  const after = value(evaluator.evaluate([schedP99], scrape1));
  assert.equal(after.note, 'counter reset: distribution since restart');
  close(after.raw, LE[2]! + (LE[3]! - LE[2]!) * ((841500 - 771500) / (842300 - 771500)));
});

test('a changed bucket layout falls back to the cumulative distribution', () => {
  const evaluator = new PromLoadEvaluator();
  evaluator.evaluate([schedP99], scrape1);
  const other = parse(
    '# TYPE go_sched_latencies_seconds histogram\n' +
      'go_sched_latencies_seconds_bucket{le="0.001"} 10\n' +
      'go_sched_latencies_seconds_bucket{le="+Inf"} 10\n',
  );
  const result = value(evaluator.evaluate([schedP99], other));
  assert.equal(result.note, 'bucket layout changed: distribution since start');
  close(result.raw, 0.00099);
});

test('per and limit: goroutines per GOMAXPROCS thread', () => {
  const term: PromLoadTerm = { metric: 'go_goroutines', per: 'go_sched_gomaxprocs_threads', limit: 200 };
  const evaluator = new PromLoadEvaluator();
  assert.deepEqual(value(evaluator.evaluate([term], scrape1)), {
    term: 'go_goroutines / go_sched_gomaxprocs_threads',
    ok: true,
    value: 248 / 8 / 200,
    raw: 31,
  });
  const busy = evaluator.evaluate([term], scrape2);
  assert.equal(busy.load, 1312 / 8 / 200);
  // Above the limit clamps to 1, the raw value stays for the explanation.
  const over = value(evaluator.evaluate([{ ...term, limit: 100 }], scrape2));
  assert.deepEqual([over.value, over.raw], [1, 164]);
});

test('labels select series; several matching gauge series are summed', () => {
  const evaluator = new PromLoadEvaluator();
  const smb: PromLoadTerm = { metric: 'nas_inflight_requests', labels: { protocol: 'smb' }, limit: 50 };
  assert.equal(evaluator.evaluate([smb], scrape2).load, 27 / 50);
  const all = value(evaluator.evaluate([{ metric: 'nas_inflight_requests', limit: 100 }], scrape2));
  assert.deepEqual([all.raw, all.value], [70, 0.7]);
  const none = missing(evaluator.evaluate([{ ...smb, labels: { protocol: 'afp' } }], scrape2));
  assert.equal(none, 'no nas_inflight_requests series has protocol="afp"');
  // An empty label value matches a series without the label.
  const families = parse('x{a="1"} 2\nx{b="1"} 3\n');
  assert.equal(value(evaluator.evaluate([{ metric: 'x', labels: { a: '' }, limit: 10 }], families)).raw, 3);
});

test('histogram series are summed by le before the quantile (sum by (le)), or filtered by labels', () => {
  const both: PromLoadTerm = { metric: 'nas_request_duration_seconds', quantile: 0.9, limit: 1 };
  const smb: PromLoadTerm = { ...both, labels: { protocol: 'smb' } };
  const evaluator = new PromLoadEvaluator();
  evaluator.evaluate([both, smb], scrape1);
  const result = evaluator.evaluate([both, smb], scrape2);
  // Deltas nfs 50 200 400 710 900 1000, smb 100 200 400 720 980 1000: summed 150 400 800 1430 1880 2000.
  // p90 of both: rank 1800 in (0.1, 0.5] holding 450, 370 below the rank.
  const [sum, one] = result.terms;
  assert.ok(sum?.ok && one?.ok);
  close(sum.raw, 0.1 + 0.4 * (370 / 450));
  // p90 of smb: rank 900 in (0.1, 0.5] holding 260, 180 below the rank.
  close(one.raw, 0.1 + 0.4 * (180 / 260));
  assert.equal(sum.term, 'nas_request_duration_seconds[0.9]');
  assert.equal(one.term, 'nas_request_duration_seconds{protocol="smb"}[0.9]');
});

test('histogram series with different layouts, or no +Inf bucket, are refused', () => {
  const evaluator = new PromLoadEvaluator();
  const term: PromLoadTerm = { metric: 'h', quantile: 0.5, limit: 1 };
  const mixed = parse(
    '# TYPE h histogram\nh_bucket{a="1",le="1"} 1\nh_bucket{a="1",le="+Inf"} 2\n' +
      'h_bucket{a="2",le="2"} 1\nh_bucket{a="2",le="+Inf"} 2\n',
  );
  assert.equal(missing(evaluator.evaluate([term], mixed)), 'the matching h series have different buckets');
  const noInf = parse('# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="2"} 2\n');
  assert.equal(missing(evaluator.evaluate([term], noInf)), 'h has no le="+Inf" bucket');
  const empty = parse('# TYPE h histogram\nh_bucket{le="1"} 0\nh_bucket{le="+Inf"} 0\n');
  assert.equal(missing(new PromLoadEvaluator().evaluate([term], empty)), 'h has no observations');
});

test('summary: the sample with that quantile label; NaN or absent quantiles are missing', () => {
  const evaluator = new PromLoadEvaluator();
  const gc: PromLoadTerm = { metric: 'go_gc_duration_seconds', quantile: 0.75, limit: 0.001 };
  const result = value(evaluator.evaluate([gc], scrape2));
  close(result.raw, 0.000101233);
  close(result.value, 0.101233);
  assert.equal(
    missing(evaluator.evaluate([{ ...gc, quantile: 0.9 }], scrape2)),
    'summary go_gc_duration_seconds has no quantile="0.9" sample',
  );
  const nan = parse(text('nan-inf.txt'));
  assert.equal(
    missing(evaluator.evaluate([{ metric: 'rpc_duration_seconds', quantile: 0.99, limit: 1 }], nan)),
    'rpc_duration_seconds{quantile="0.99"} is NaN (no observations)',
  );
});

test('untyped _bucket series (an exposition without # TYPE) still give a quantile', () => {
  const families = parse(text('untyped.txt'));
  const result = value(
    new PromLoadEvaluator().evaluate(
      [{ metric: 'legacy_latency_seconds', quantile: 0.5, limit: 1 }],
      families,
    ),
  );
  close(result.raw, 0.1); // rank 5 of 10: the top of (0, 0.1]
});

test('terms that do not fit their metric are missing with a reason', () => {
  const evaluator = new PromLoadEvaluator();
  const cases: ReadonlyArray<readonly [PromLoadTerm, string]> = [
    [{ metric: 'nope', limit: 1 }, 'nope is absent'],
    [{ metric: 'nope', quantile: 0.5, limit: 1 }, 'nope is absent'],
    [
      { metric: 'go_sched_latencies_seconds', limit: 1 },
      'go_sched_latencies_seconds is a histogram: give a quantile',
    ],
    [{ metric: 'go_gc_duration_seconds', limit: 1 }, 'go_gc_duration_seconds is a summary: give a quantile'],
    [
      { metric: 'go_goroutines', quantile: 0.5, limit: 1 },
      'quantile given but go_goroutines is a gauge, not a histogram or summary',
    ],
    [{ metric: 'go_goroutines', per: 'nope', limit: 1 }, 'per metric nope is absent'],
    [
      { metric: 'go_goroutines', per: 'go_sched_latencies_seconds', limit: 1 },
      'per metric go_sched_latencies_seconds is a histogram, not a gauge',
    ],
    [{ metric: 'go_goroutines', limit: 0 }, 'limit must be > 0, got 0'],
    [{ metric: 'go_sched_latencies_seconds', quantile: 2, limit: 1 }, 'quantile must be in [0, 1], got 2'],
  ];
  for (const [term, reason] of cases)
    assert.equal(missing(evaluator.evaluate([term], scrape1)), reason, termName(term));
  const zero = parse('busy 3\nthreads 0\nnan NaN\n');
  assert.equal(
    missing(evaluator.evaluate([{ metric: 'busy', per: 'threads', limit: 1 }], zero)),
    'per metric threads is 0, not a positive number',
  );
  assert.equal(missing(evaluator.evaluate([{ metric: 'nan', limit: 1 }], zero)), 'nan is NaN');
});

test('_count and _sum of a histogram can be mapped as plain values', () => {
  const result = value(
    new PromLoadEvaluator().evaluate([{ metric: 'go_gc_duration_seconds_count', limit: 2000 }], scrape1),
  );
  assert.equal(result.raw, 1417);
});

test('±Inf gauges clamp to 1 and 0', () => {
  const families = parse(text('nan-inf.txt'));
  const evaluator = new PromLoadEvaluator();
  const term = (sensor: string): PromLoadTerm => ({
    metric: 'temperature_celsius',
    labels: { sensor },
    limit: 100,
  });
  assert.equal(value(evaluator.evaluate([term('a')], families)).value, 1);
  assert.equal(value(evaluator.evaluate([term('b')], families)).value, 0);
});

test('the load is the max over the terms; missing terms are named; none at all: no load', () => {
  const evaluator = new PromLoadEvaluator();
  const terms: PromLoadTerm[] = [
    { metric: 'go_goroutines', per: 'go_sched_gomaxprocs_threads', limit: 200 },
    { metric: 'nas_inflight_requests', limit: 100 },
    { metric: 'go_threads_busy', limit: 10 },
  ];
  const result = evaluator.evaluate(terms, scrape2);
  assert.equal(result.load, 0.82);
  assert.deepEqual(
    result.terms.map((t) => [t.term, t.ok ? t.value : t.reason]),
    [
      ['go_goroutines / go_sched_gomaxprocs_threads', 0.82],
      ['nas_inflight_requests', 0.7],
      ['go_threads_busy', 'go_threads_busy is absent'],
    ],
  );
  assert.equal(result.reason, 'without go_threads_busy: go_threads_busy is absent');
  const none = evaluator.evaluate([terms[2]!], parse(text('empty.txt')));
  assert.equal(none.load, undefined);
  assert.equal(none.reason, 'no load term could be evaluated: go_threads_busy: go_threads_busy is absent');
  assert.deepEqual(evaluator.evaluate([], scrape2), { terms: [], reason: 'no load terms configured' });
});

test('a term missing from one scrape keeps its buckets for the next', () => {
  const evaluator = new PromLoadEvaluator();
  evaluator.evaluate([schedP99], scrape1);
  missing(evaluator.evaluate([schedP99], parse('')));
  close(value(evaluator.evaluate([schedP99], scrape2)).raw, LE[5]! + (LE[6]! - LE[5]!) * (1000 / 1500));
  evaluator.reset();
  assert.equal(value(evaluator.evaluate([schedP99], scrape2)).note, 'first scrape: distribution since start');
});

test('termName: metric, labels, quantile, per', () => {
  assert.equal(
    termName({ metric: 'm', labels: { a: 'x"y', b: '' }, quantile: 0.99, per: 'p', limit: 1 }),
    'm{a="x\\"y",b=""}[0.99] / p',
  );
});

// fetchPrometheusLoad against a real server.

const TOKEN = 'prom-token';
let scrapeIndex = 1;
const seen: { accept?: string | undefined } = {};

function handle(req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, body: string, type = 'text/plain; version=0.0.4; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': type }).end(body);
  };
  switch (req.url) {
    case '/metrics':
      seen.accept = req.headers.accept;
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, 'unauthorized\n');
      return send(200, text(`go-scrape-${scrapeIndex}.txt`));
    case '/open':
      return send(200, text('go-scrape-1.txt'));
    case '/error':
      return send(500, 'boom\n');
    case '/garbage':
      return send(200, text('garbage-line.txt'), 'text/html');
    case '/big': {
      // Streamed without a content-length: only the reader's count can stop it.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const line = `${'x'.repeat(1000)} 1\n`;
      for (let i = 0; i < 100; i++) res.write(line);
      res.end();
      return;
    }
    case '/big-declared': {
      const body = `${'y'.repeat(19_997)} 1\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) }).end(body);
      return;
    }
    case '/hang':
      return; // never answers
    default:
      res.writeHead(404).end();
  }
}

const served = serveDuringSuite(handle);

const spec = (path: string, terms: PromLoadTerm[] = [schedP99]): PromLoadSpec => ({
  url: `${served.url}${path}`,
  terms,
});

test('fetch: two scrapes of a live endpoint give the delta p99, the Accept header and token sent', async () => {
  const evaluator = new PromLoadEvaluator();
  const clock = new ManualClock(5000);
  scrapeIndex = 1;
  const first = await fetchPrometheusLoad(spec('/metrics'), evaluator, {
    timeoutMs: 2000,
    clock,
    token: TOKEN,
  });
  assert.ok(first.ok, first.ok ? '' : first.reason);
  assert.equal(first.at, 5000);
  assert.equal(seen.accept, 'text/plain;version=0.0.4');
  scrapeIndex = 2;
  clock.advance(1000);
  const second = await fetchPrometheusLoad(spec('/metrics'), evaluator, {
    timeoutMs: 2000,
    clock,
    token: TOKEN,
  });
  assert.ok(second.ok);
  close(second.load, (LE[5]! + (LE[6]! - LE[5]!) * (1000 / 1500)) / 0.1);
  assert.equal(second.at, 6000);
  assert.equal(second.reason, undefined);
  assert.equal(second.terms.length, 1);
});

test('fetch: some terms missing still give a load, with the reason', async () => {
  const terms: PromLoadTerm[] = [
    { metric: 'go_goroutines', limit: 1000 },
    { metric: 'nope', limit: 1 },
  ];
  const result = await fetchPrometheusLoad(spec('/open', terms), new PromLoadEvaluator(), {
    timeoutMs: 2000,
  });
  assert.ok(result.ok);
  assert.equal(result.load, 0.248);
  assert.equal(result.reason, 'without nope: nope is absent');
});

test('fetch: no term evaluable is no-load, with every term', async () => {
  const result = await fetchPrometheusLoad(
    spec('/open', [{ metric: 'nope', limit: 1 }]),
    new PromLoadEvaluator(),
    {
      timeoutMs: 2000,
    },
  );
  assert.ok(!result.ok);
  assert.equal(result.code, 'no-load');
  assert.match(
    result.reason,
    /^http:\/\/127\.0\.0\.1:\d+\/open: no load term could be evaluated: nope: nope is absent$/,
  );
  assert.deepEqual(result.terms, [{ term: 'nope', ok: false, reason: 'nope is absent' }]);
});

test('fetch: 401 and 500 are HTTP failures with the status', async () => {
  const unauthorized = await fetchPrometheusLoad(spec('/metrics'), new PromLoadEvaluator(), {
    timeoutMs: 2000,
  });
  assert.ok(!unauthorized.ok);
  assert.equal(unauthorized.status, 401);
  assert.match(
    unauthorized.reason,
    /^HTTP 401 Unauthorized from http:\/\/.*\/metrics \(bad or missing token\)$/,
  );
  const error = await fetchPrometheusLoad(spec('/error'), new PromLoadEvaluator(), { timeoutMs: 2000 });
  assert.ok(!error.ok);
  assert.deepEqual([error.code, error.status], ['http', 500]);
  assert.match(error.reason, /^HTTP 500 Internal Server Error from /);
});

test('fetch: garbage is bad-text naming the line, not quoting it; the evaluator is untouched', async () => {
  const evaluator = new PromLoadEvaluator();
  const result = await fetchPrometheusLoad(spec('/garbage'), evaluator, { timeoutMs: 2000 });
  assert.ok(!result.ok);
  assert.equal(result.code, 'bad-text');
  assert.match(
    result.reason,
    /^bad Prometheus text from http:\/\/.*\/garbage: line 5: expected a metric name, got …$/,
  );
});

test('fetch: a body over maxBytes is refused, declared or streamed', async () => {
  const result = await fetchPrometheusLoad(spec('/big'), new PromLoadEvaluator(), {
    timeoutMs: 2000,
    maxBytes: 10_000,
  });
  assert.ok(!result.ok);
  assert.equal(result.code, 'too-large');
  assert.match(result.reason, /^Prometheus page larger than 10000 bytes from http:\/\/.*\/big$/);
  const declared = await fetchPrometheusLoad(spec('/big-declared'), new PromLoadEvaluator(), {
    timeoutMs: 2000,
    maxBytes: 10_000,
  });
  assert.ok(!declared.ok);
  assert.equal(declared.code, 'too-large');
  const fits = await fetchPrometheusLoad(
    spec('/big-declared', [{ metric: 'y'.repeat(19_997), limit: 1 }]),
    new PromLoadEvaluator(),
    {
      timeoutMs: 2000,
      maxBytes: 20_000,
    },
  );
  assert.ok(fits.ok && fits.load === 1);
});

test('fetch: connection refused is unreachable', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const result = await fetchPrometheusLoad(
    { url: `http://127.0.0.1:${port}/metrics`, terms: [schedP99] },
    new PromLoadEvaluator(),
    { timeoutMs: 2000 },
  );
  assert.ok(!result.ok);
  assert.equal(result.code, 'unreachable');
  assert.match(result.reason, /^unreachable: .*ECONNREFUSED/);
});

test('fetch: a bad URL is unreachable without a request', async () => {
  const result = await fetchPrometheusLoad({ url: 'not a url', terms: [] }, new PromLoadEvaluator(), {
    timeoutMs: 100,
  });
  assert.deepEqual(result, { ok: false, code: 'unreachable', reason: 'unreachable: bad URL "not a url"' });
});

test('fetch: a hanging server times out after timeoutMs; an abort signal is aborted', async () => {
  const started = performance.now();
  const result = await fetchPrometheusLoad(spec('/hang'), new PromLoadEvaluator(), { timeoutMs: 150 });
  const took = performance.now() - started;
  assert.ok(!result.ok);
  assert.equal(result.code, 'timeout');
  assert.match(result.reason, /^timeout: no answer from .*\/hang within 150 ms$/);
  assert.ok(took >= 140 && took < 2000, `took ${took} ms`);
  const controller = new AbortController();
  const pending = fetchPrometheusLoad(spec('/hang'), new PromLoadEvaluator(), {
    timeoutMs: 5000,
    signal: controller.signal,
  });
  controller.abort();
  const aborted = await pending;
  assert.ok(!aborted.ok);
  assert.equal(aborted.code, 'aborted');
});
