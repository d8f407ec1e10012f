/**
 * The cgroup and refault keys of `policy.signals.cache` and a service's `load.prometheus`: the typed
 * values they give, and one test per message they can produce, each with its line:column.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigFile, loadConfigText } from '../../policies/loader.js';
import type { ConfigError } from '../../policies/loader.js';
import { fixtures } from '../helpers/paths.js';

/** A valid document with `cache` and `load` spliced in as one-line YAML (`load` may be left out). */
function doc(cache: string, load?: string): string {
  return [
    'apiVersion: poolpilot/v1',
    'policy:',
    '  name: t',
    '  signals:',
    `    cache: ${cache}`,
    'services:',
    '  - name: nas',
    '    url: http://127.0.0.1:8080',
    '    mode: enforce',
    '    pools: [{ name: buffers, base: 10, min: 1, max: 100 }]',
    ...(load === undefined ? [] : [`    load: ${load}`]),
    '',
  ].join('\n');
}

const CACHE_LINE = 5;
const LOAD_LINE = 11;
const okCache = '{ sources: [cgroup] }';

/** A one-term prometheus load block with `term` as the term's flow map. */
const prom = (term: string, url = 'http://127.0.0.1:2112/metrics') =>
  `{ prometheus: { url: "${url}", terms: [${term}] } }`;

type Located = Pick<ConfigError, 'line' | 'column' | 'path' | 'message'>;

function errors(text: string): Located[] {
  const r = loadConfigText(text, 'x.yaml');
  assert.equal(r.ok, false, 'should not load');
  if (r.ok) return [];
  return r.errors.map(({ line, column, path, message }) => ({ line, column, path, message }));
}

/** The 1-based column of the first `token` on `line` of `text`. */
function col(text: string, line: number, token: string): number {
  const index = text.split('\n')[line - 1]?.indexOf(token) ?? -1;
  assert.ok(index >= 0, `${token} on line ${line}`);
  return index + 1;
}

/** Asserts the text has exactly one error, at `token` on `line`, with `path` and `message`. */
function expectOne(text: string, line: number, token: string, path: string, message: string): void {
  assert.deepEqual(errors(text), [{ line, column: col(text, line, token), path, message }]);
}

describe('cache signal: cgroupPath and refaultSaturation', () => {
  it('give typed values; the defaults are no path and 1000 pages/s', async () => {
    const r = await loadConfigFile(fixtures('config', 'cgroup-and-prometheus.yaml'));
    if (!r.ok) assert.fail(JSON.stringify(r.errors));
    assert.deepEqual(r.config.policy.signals.cache, {
      sources: ['meminfo', 'cgroup', 'refault'],
      psiSaturation: 10,
      cgroupPath: '/host/sys/fs/cgroup/kubepods/pod123',
      refaultSaturation: 2500,
    });
    const plain = loadConfigText(doc(okCache), 'x.yaml');
    if (!plain.ok) assert.fail(JSON.stringify(plain.errors));
    assert.deepEqual(plain.config.policy.signals.cache, {
      sources: ['cgroup'],
      psiSaturation: 10,
      refaultSaturation: 1000,
    });
    assert.equal('load' in (plain.config.services[0] ?? {}), false);
    const relative = loadConfigText(doc('{ cgroupPath: kubepods/burstable/pod1 }'), 'x.yaml');
    assert.equal(relative.ok && relative.config.policy.signals.cache.cgroupPath, 'kubepods/burstable/pod1');
  });

  it('a cgroupPath that is empty or not a string', () => {
    const message = (got: string) =>
      `policy.signals.cache.cgroupPath: expected a cgroup path (absolute, or relative to the cgroup root), got ${got}`;
    expectOne(doc('{ cgroupPath: "" }'), CACHE_LINE, '""', 'policy.signals.cache.cgroupPath', message('""'));
    expectOne(doc('{ cgroupPath: 12 }'), CACHE_LINE, '12', 'policy.signals.cache.cgroupPath', message('12'));
  });

  it('a relative cgroupPath climbing out of the root with ".."', () => {
    expectOne(
      doc('{ cgroupPath: kubepods/../../etc }'),
      CACHE_LINE,
      'kubepods/',
      'policy.signals.cache.cgroupPath',
      'policy.signals.cache.cgroupPath: must not contain ".." (write the path from the cgroup root, or an absolute path), got "kubepods/../../etc"',
    );
  });

  it('a refaultSaturation of 0 or less', () => {
    expectOne(
      doc('{ refaultSaturation: 0 }'),
      CACHE_LINE,
      '0 }',
      'policy.signals.cache.refaultSaturation',
      'policy.signals.cache.refaultSaturation: must be greater than 0, got 0',
    );
  });

  it('a refaultSaturation that is not a number', () => {
    expectOne(
      doc('{ refaultSaturation: fast }'),
      CACHE_LINE,
      'fast',
      'policy.signals.cache.refaultSaturation',
      'policy.signals.cache.refaultSaturation: expected a number, got "fast"',
    );
  });

  it('an unknown source and a misspelt key are still errors', () => {
    const text = doc('{ sources: [cgroups], cgroupPth: /x }');
    assert.deepEqual(errors(text), [
      {
        line: CACHE_LINE,
        column: col(text, CACHE_LINE, 'cgroups'),
        path: 'policy.signals.cache.sources[0]',
        message:
          'policy.signals.cache.sources[0]: expected meminfo, psi, cgroup, refault or service, got "cgroups"',
      },
      {
        line: CACHE_LINE,
        column: col(text, CACHE_LINE, 'cgroupPth'),
        path: 'policy.signals.cache.cgroupPth',
        message: 'unknown key "cgroupPth" in policy.signals.cache (did you mean "cgroupPath"?)',
      },
    ]);
  });
});

describe('service load from Prometheus text', () => {
  it('gives typed terms, labels, quantile and per', async () => {
    const r = await loadConfigFile(fixtures('config', 'cgroup-and-prometheus.yaml'));
    if (!r.ok) assert.fail(JSON.stringify(r.errors));
    assert.deepEqual(r.config.services[0]?.load, {
      prometheus: {
        url: 'http://127.0.0.1:2112/metrics',
        terms: [
          { metric: 'go_goroutines', per: 'go_sched_gomaxprocs_threads', limit: 500 },
          {
            metric: 'http_request_duration_seconds',
            labels: { handler: 'read', code: '200' },
            quantile: 0.99,
            limit: 0.05,
          },
        ],
      },
    });
    assert.ok(Object.isFrozen(r.config.services[0]?.load?.prometheus.terms[1]?.labels));
  });

  it('a load block without prometheus', () => {
    expectOne(
      doc(okCache, '{}'),
      LOAD_LINE,
      '{}',
      'services[0].load',
      'services[0].load: missing required key "prometheus"',
    );
  });

  it('a misspelt prometheus key', () => {
    const text = doc(okCache, '{ prometeus: {} }');
    assert.deepEqual(errors(text), [
      {
        line: LOAD_LINE,
        column: col(text, LOAD_LINE, '{'),
        path: 'services[0].load',
        message: 'services[0].load: missing required key "prometheus"',
      },
      {
        line: LOAD_LINE,
        column: col(text, LOAD_LINE, 'prometeus'),
        path: 'services[0].load.prometeus',
        message: 'unknown key "prometeus" in services[0].load (did you mean "prometheus"?)',
      },
    ]);
  });

  it('a url that is not http or https', () => {
    expectOne(
      doc(okCache, prom('{ metric: go_goroutines, limit: 100 }', 'ftp://host/metrics')),
      LOAD_LINE,
      '"ftp',
      'services[0].load.prometheus.url',
      'services[0].load.prometheus.url: expected an http or https URL, got "ftp://host/metrics"',
    );
  });

  it('no terms key', () => {
    expectOne(
      doc(okCache, '{ prometheus: { url: "http://h/metrics" } }'),
      LOAD_LINE,
      '{ url',
      'services[0].load.prometheus',
      'services[0].load.prometheus: missing required key "terms"',
    );
  });

  it('an empty list of terms', () => {
    expectOne(
      doc(okCache, '{ prometheus: { url: "http://h/metrics", terms: [] } }'),
      LOAD_LINE,
      '[]',
      'services[0].load.prometheus.terms',
      'services[0].load.prometheus.terms: must list at least 1 item',
    );
  });

  it('a metric that is not a Prometheus metric name', () => {
    expectOne(
      doc(okCache, prom('{ metric: go-goroutines, limit: 100 }')),
      LOAD_LINE,
      'go-goroutines',
      'services[0].load.prometheus.terms[0].metric',
      'services[0].load.prometheus.terms[0].metric: expected a Prometheus metric name (letters, digits, "_" and ":", not starting with a digit), got "go-goroutines"',
    );
  });

  it('a per that is not a Prometheus metric name', () => {
    expectOne(
      doc(okCache, prom('{ metric: go_goroutines, per: 2threads, limit: 100 }')),
      LOAD_LINE,
      '2threads',
      'services[0].load.prometheus.terms[0].per',
      'services[0].load.prometheus.terms[0].per: expected a Prometheus metric name (letters, digits, "_" and ":", not starting with a digit), got "2threads"',
    );
  });

  it('a term without a limit', () => {
    expectOne(
      doc(okCache, prom('{ metric: go_goroutines }')),
      LOAD_LINE,
      '{ metric',
      'services[0].load.prometheus.terms[0]',
      'services[0].load.prometheus.terms[0]: missing required key "limit"',
    );
  });

  it('a limit of 0 or less', () => {
    expectOne(
      doc(okCache, prom('{ metric: go_goroutines, limit: -5 }')),
      LOAD_LINE,
      '-5',
      'services[0].load.prometheus.terms[0].limit',
      'services[0].load.prometheus.terms[0].limit: must be greater than 0, got -5',
    );
  });

  it('a quantile of 0 (must be above 0)', () => {
    expectOne(
      doc(okCache, prom('{ metric: rpc_seconds, quantile: 0, limit: 1 }')),
      LOAD_LINE,
      '0,',
      'services[0].load.prometheus.terms[0].quantile',
      'services[0].load.prometheus.terms[0].quantile: must be greater than 0, got 0',
    );
  });

  it('a quantile of 1 (must be below 1)', () => {
    expectOne(
      doc(okCache, prom('{ metric: rpc_seconds, quantile: 1, limit: 1 }')),
      LOAD_LINE,
      '1,',
      'services[0].load.prometheus.terms[0].quantile',
      'services[0].load.prometheus.terms[0].quantile: must be less than 1, got 1',
    );
  });

  it('labels that are not a map', () => {
    expectOne(
      doc(okCache, prom('{ metric: rpc_seconds, labels: [a], limit: 1 }')),
      LOAD_LINE,
      '[a]',
      'services[0].load.prometheus.terms[0].labels',
      'services[0].load.prometheus.terms[0].labels: expected a map from label name to value, got a list',
    );
  });

  it('a label value that is not a string', () => {
    expectOne(
      doc(okCache, prom('{ metric: rpc_seconds, labels: { code: 200 }, limit: 1 }')),
      LOAD_LINE,
      '200',
      'services[0].load.prometheus.terms[0].labels.code',
      'services[0].load.prometheus.terms[0].labels.code: expected a label value in quotes, such as "200", got 200',
    );
  });

  it('an invalid label name points at the name', () => {
    expectOne(
      doc(okCache, prom('{ metric: rpc_seconds, labels: { "0bad": x }, limit: 1 }')),
      LOAD_LINE,
      '"0bad"',
      'services[0].load.prometheus.terms[0].labels["0bad"]',
      'services[0].load.prometheus.terms[0].labels: invalid label name "0bad" (letters, digits and "_", not starting with a digit)',
    );
  });

  it('an unknown key in a term', () => {
    expectOne(
      doc(okCache, prom('{ metric: rpc_seconds, quantle: 0.9, limit: 1 }')),
      LOAD_LINE,
      'quantle',
      'services[0].load.prometheus.terms[0].quantle',
      'unknown key "quantle" in services[0].load.prometheus.terms[0] (did you mean "quantile"?)',
    );
  });
});
