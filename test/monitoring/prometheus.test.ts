/**
 * poolpilot under a real Prometheus (the Debian package `prometheus`: `prometheus` and
 * `promtool`). promtool lints a live /metrics, checks the rules file and unit-tests every alert;
 * a Prometheus started here scrapes a running controller every second with the rules loaded, and
 * its HTTP API answers for every pool, every rule and every dashboard query.
 *
 * Without the programs the tests skip on a developer machine and fail under CI=true.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { waitForAsync } from '../helpers/wait.js';
import {
  EXPECTED_POOLS,
  dashboardQueries,
  freePort,
  loadDashboard,
  loadRules,
  requireProgram,
  rulesPath,
  skipWithout,
  startLiveController,
  withGrafanaVariables,
} from './live-controller.js';
import type { LiveController } from './live-controller.js';
import { alertsQuery, firing, poolHealthRuleTests } from './promtool-rule-tests.js';

const skipPromtool = skipWithout('promtool', 'prometheus');
const skipPrometheus = skipWithout('prometheus', 'prometheus');

/**
 * What `promtool check metrics` says about prom-client's default Node.js metrics, not about
 * poolpilot's: these gauges end in `_total`. Any other finding fails the test.
 */
const PROM_CLIENT_FINDINGS = new Set(
  ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'].map(
    (name) => `${name} non-counter metrics should not have "_total" suffix`,
  ),
);

/** Queries that may rightly be empty on a healthy controller: no push has failed. */
const MAY_BE_EMPTY = /poolpilot_push_failures_total|changes\(poolpilot_config_reload_failures_total/;

function run(cmd: string, args: readonly string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 60_000,
    ...(input !== undefined ? { input } : {}),
  });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('promtool', () => {
  let live: LiveController | undefined;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-promtool-'));
  });
  after(async () => {
    await live?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('check metrics finds nothing wrong with a live /metrics', { skip: skipPromtool }, async () => {
    const promtool = requireProgram('promtool', 'prometheus');
    live = await startLiveController();
    const text = await live.metricsWith([
      'poolpilot_pool_capacity',
      'poolpilot_decisions_total',
      'poolpilot_shadow_target',
    ]);
    assert.match(text, /^poolpilot_shadow_target\{service="archive",pool="metadata"\} \d+$/m);
    const { status, out } = run(promtool, ['check', 'metrics'], text);
    const findings = out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const ours = findings.filter((f) => !PROM_CLIENT_FINDINGS.has(f));
    assert.deepEqual(ours, [], `promtool check metrics (exit ${status})`);
    // 0: clean; 3: lint findings only (the prom-client ones above). Anything else is an error.
    assert.ok(status === 0 || (status === 3 && findings.length > 0), `exit ${status}: ${out}`);
  });

  it('check rules passes the rules file', { skip: skipPromtool }, () => {
    const promtool = requireProgram('promtool', 'prometheus');
    const { status, out } = run(promtool, ['check', 'rules', rulesPath]);
    assert.equal(status, 0, out);
    const count = loadRules().reduce((n, g) => n + g.rules.length, 0);
    assert.match(out, new RegExp(`SUCCESS: ${count} rules found`));
  });

  it('every dashboard query is valid PromQL', { skip: skipPromtool }, () => {
    const promtool = requireProgram('promtool', 'prometheus');
    const rules = dashboardQueries(loadDashboard()).map((q, i) => ({
      record: `dashboard:query:${i}`,
      expr: withGrafanaVariables(q.expr),
    }));
    const file = join(dir, 'dashboard-queries.yaml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const { status, out } = run(promtool, ['check', 'rules', file]);
    assert.equal(status, 0, out);
  });

  it(
    'test rules: each alert fires on its symptom and stays quiet otherwise; recording rules compute',
    {
      skip: skipPromtool,
    },
    () => {
      const promtool = requireProgram('promtool', 'prometheus');
      const file = join(dir, 'poolpilot-rules.test.yaml');
      writeFileSync(file, stringify(ruleUnitTests()));
      const { status, out } = run(promtool, ['test', 'rules', file]);
      assert.equal(status, 0, out);
      assert.match(out, /SUCCESS/);
    },
  );
});

/**
 * `poolpilot_breaker_state` input series of instance `a`, one state set per service, from one
 * state a minute per service: 0 closed, 1 open, 2 half-open (space-separated).
 */
function breakerStates(
  j: string,
  timeline: Record<string, string>,
): Array<{ series: string; values: string }> {
  const states = ['closed', 'open', 'half-open'];
  return Object.entries(timeline).flatMap(([service, steps]) =>
    states.map((state, i) => ({
      series: `poolpilot_breaker_state{${j},instance="a",service="${service}",state="${state}"}`,
      values: steps
        .split(' ')
        .map((s) => (Number(s) === i ? '1' : '0'))
        .join(' '),
    })),
  );
}

/** `promtool test rules` input: one test group per alert, with healthy series beside the sick ones. */
function ruleUnitTests(): unknown {
  const j = 'job="poolpilot"';
  const leakAlert = loadRules()
    .flatMap((g) => g.rules)
    .find((r) => r.alert === 'PoolpilotPoolLeakSuspected');
  assert.ok(leakAlert, 'the rules file has PoolpilotPoolLeakSuspected');
  return {
    rule_files: [rulesPath],
    evaluation_interval: '1m',
    tests: [
      {
        name: 'PoolpilotSidecarStarved',
        interval: '1m',
        input_series: [
          // a: late loop; b: busy loop; c: both (one alert, not two); d: fine; e: one spike.
          { series: `poolpilot_event_loop_delay_p99_seconds{${j},instance="a"}`, values: '0.5x20' },
          { series: `poolpilot_event_loop_utilization_ratio{${j},instance="a"}`, values: '0.1x20' },
          { series: `poolpilot_event_loop_delay_p99_seconds{${j},instance="b"}`, values: '0.01x20' },
          { series: `poolpilot_event_loop_utilization_ratio{${j},instance="b"}`, values: '0.95x20' },
          { series: `poolpilot_event_loop_delay_p99_seconds{${j},instance="c"}`, values: '0.5x20' },
          { series: `poolpilot_event_loop_utilization_ratio{${j},instance="c"}`, values: '0.95x20' },
          { series: `poolpilot_event_loop_delay_p99_seconds{${j},instance="d"}`, values: '0.01x20' },
          { series: `poolpilot_event_loop_utilization_ratio{${j},instance="d"}`, values: '0.1x20' },
          { series: `poolpilot_event_loop_delay_p99_seconds{${j},instance="e"}`, values: '0.01x5 2 0.01x14' },
          { series: `poolpilot_event_loop_utilization_ratio{${j},instance="e"}`, values: '0.1x20' },
        ],
        promql_expr_test: [
          { expr: alertsQuery('PoolpilotSidecarStarved'), eval_time: '4m', exp_samples: [] },
          {
            expr: alertsQuery('PoolpilotSidecarStarved'),
            eval_time: '10m',
            exp_samples: ['a', 'b', 'c'].map((instance) =>
              firing('PoolpilotSidecarStarved', 'warning', { job: 'poolpilot', instance }),
            ),
          },
        ],
      },
      {
        name: 'PoolpilotPushesFailing',
        interval: '1m',
        input_series: [
          { series: `poolpilot_push_failures_total{${j},instance="a",service="nas"}`, values: '0+1x20' },
          { series: `poolpilot_push_failures_total{${j},instance="a",service="media"}`, values: '3x20' },
          { series: `poolpilot_pushes_total{${j},instance="a",service="nas"}`, values: '0+2x20' },
          { series: `poolpilot_pushes_total{${j},instance="a",service="media"}`, values: '0+2x20' },
          { series: `poolpilot_pushes_total{${j},instance="a",service="web"}`, values: '0+2x20' },
        ],
        promql_expr_test: [
          { expr: alertsQuery('PoolpilotPushesFailing'), eval_time: '3m', exp_samples: [] },
          {
            expr: alertsQuery('PoolpilotPushesFailing'),
            eval_time: '10m',
            exp_samples: [
              firing('PoolpilotPushesFailing', 'warning', {
                job: 'poolpilot',
                instance: 'a',
                service: 'nas',
              }),
            ],
          },
          {
            // A service that never failed has a failure rate of 0, not no series.
            expr: 'poolpilot:push_failures:rate5m',
            eval_time: '10m',
            exp_samples: [
              { labels: `poolpilot:push_failures:rate5m{${j},instance="a",service="nas"}`, value: 1 / 60 },
              { labels: `poolpilot:push_failures:rate5m{${j},instance="a",service="media"}`, value: 0 },
              { labels: `poolpilot:push_failures:rate5m{${j},instance="a",service="web"}`, value: 0 },
            ],
          },
          {
            expr: 'poolpilot:push_failures:ratio_rate5m{service="nas"}',
            eval_time: '10m',
            exp_samples: [
              { labels: `poolpilot:push_failures:ratio_rate5m{${j},instance="a",service="nas"}`, value: 0.5 },
            ],
          },
        ],
      },
      {
        name: 'PoolpilotBreakerOpen',
        interval: '1m',
        // nas: opens at 2m, a failed half-open trial at 5m, still open at 10m. web: open one
        // minute, then closed (no alert). media: closed all along.
        input_series: breakerStates(j, {
          nas: '0 0 1 1 1 2 1 1 1 1 1 1',
          web: '0 0 1 0 0 0 0 0 0 0 0 0',
          media: '0 0 0 0 0 0 0 0 0 0 0 0',
        }),
        promql_expr_test: [
          { expr: alertsQuery('PoolpilotBreakerOpen'), eval_time: '2m', exp_samples: [] },
          {
            expr: alertsQuery('PoolpilotBreakerOpen'),
            eval_time: '3m',
            exp_samples: [
              firing('PoolpilotBreakerOpen', 'warning', { job: 'poolpilot', instance: 'a', service: 'nas' }),
            ],
          },
          {
            expr: alertsQuery('PoolpilotBreakerOpen'),
            eval_time: '10m',
            exp_samples: [
              firing('PoolpilotBreakerOpen', 'warning', { job: 'poolpilot', instance: 'a', service: 'nas' }),
            ],
          },
        ],
      },
      {
        name: 'PoolpilotConfigReloadFailing',
        interval: '1m',
        input_series: [
          { series: `poolpilot_config_reload_failures_total{${j},instance="a"}`, values: '0 0 0 1x40' },
          { series: `poolpilot_config_reload_failures_total{${j},instance="b"}`, values: '0x43' },
        ],
        promql_expr_test: [
          { expr: alertsQuery('PoolpilotConfigReloadFailing'), eval_time: '2m', exp_samples: [] },
          {
            expr: alertsQuery('PoolpilotConfigReloadFailing'),
            eval_time: '5m',
            exp_samples: [
              firing('PoolpilotConfigReloadFailing', 'warning', { job: 'poolpilot', instance: 'a' }),
            ],
          },
          { expr: alertsQuery('PoolpilotConfigReloadFailing'), eval_time: '30m', exp_samples: [] },
        ],
      },
      {
        name: 'PoolpilotPoolPinnedAtMin',
        interval: '1m',
        input_series: [
          // a: cache high for an hour; buffers stays at 64, handles still moves.
          { series: `process_start_time_seconds{${j},instance="a"}`, values: '0x60' },
          { series: `poolpilot_paused{${j},instance="a"}`, values: '0x60' },
          { series: `poolpilot_signal{${j},instance="a",signal="cache"}`, values: '0.8x60' },
          {
            series: `poolpilot_pool_target{${j},instance="a",service="nas",pool="buffers"}`,
            values: '64x60',
          },
          {
            series: `poolpilot_pool_target{${j},instance="a",service="nas",pool="handles"}`,
            values: '256-1x60',
          },
          // b: calm cache; c: paused. Neither alerts, however still their pools.
          { series: `process_start_time_seconds{${j},instance="b"}`, values: '0x60' },
          { series: `poolpilot_paused{${j},instance="b"}`, values: '0x60' },
          { series: `poolpilot_signal{${j},instance="b",signal="cache"}`, values: '0.5x60' },
          {
            series: `poolpilot_pool_target{${j},instance="b",service="nas",pool="buffers"}`,
            values: '64x60',
          },
          { series: `process_start_time_seconds{${j},instance="c"}`, values: '0x60' },
          { series: `poolpilot_paused{${j},instance="c"}`, values: '1x60' },
          { series: `poolpilot_signal{${j},instance="c",signal="cache"}`, values: '0.8x60' },
          {
            series: `poolpilot_pool_target{${j},instance="c",service="nas",pool="buffers"}`,
            values: '64x60',
          },
          // d: restarted 10 minutes ago.
          { series: `process_start_time_seconds{${j},instance="d"}`, values: '3000x60' },
          { series: `poolpilot_paused{${j},instance="d"}`, values: '0x60' },
          { series: `poolpilot_signal{${j},instance="d",signal="cache"}`, values: '0.8x60' },
          {
            series: `poolpilot_pool_target{${j},instance="d",service="nas",pool="buffers"}`,
            values: '64x60',
          },
        ],
        promql_expr_test: [
          { expr: alertsQuery('PoolpilotPoolPinnedAtMin'), eval_time: '30m', exp_samples: [] },
          {
            expr: alertsQuery('PoolpilotPoolPinnedAtMin'),
            eval_time: '60m',
            exp_samples: [
              firing('PoolpilotPoolPinnedAtMin', 'warning', {
                job: 'poolpilot',
                instance: 'a',
                service: 'nas',
                pool: 'buffers',
              }),
            ],
          },
        ],
      },
      {
        name: 'PoolpilotSignalStale and PoolpilotServiceDown',
        interval: '1m',
        input_series: [
          { series: `poolpilot_signal_stale{${j},instance="a",signal="cache"}`, values: '0x20' },
          { series: `poolpilot_signal_stale{${j},instance="a",signal="load",service="nas"}`, values: '1x20' },
          {
            series: `poolpilot_signal_stale{${j},instance="a",signal="load",service="web"}`,
            values: '1 0 1 0 1 0 1 0 1 0 1 0',
          },
          { series: `poolpilot_service_up{${j},instance="a",service="nas"}`, values: '0x20' },
          { series: `poolpilot_service_up{${j},instance="a",service="web"}`, values: '1x20' },
        ],
        promql_expr_test: [
          {
            expr: alertsQuery('PoolpilotSignalStale'),
            eval_time: '10m',
            exp_samples: [
              firing('PoolpilotSignalStale', 'warning', {
                job: 'poolpilot',
                instance: 'a',
                signal: 'load',
                service: 'nas',
              }),
            ],
          },
          { expr: alertsQuery('PoolpilotServiceDown'), eval_time: '4m', exp_samples: [] },
          {
            expr: alertsQuery('PoolpilotServiceDown'),
            eval_time: '10m',
            exp_samples: [
              firing('PoolpilotServiceDown', 'warning', { job: 'poolpilot', instance: 'a', service: 'nas' }),
            ],
          },
        ],
      },
      {
        name: 'PoolpilotCgroupOOMKill',
        interval: '1m',
        input_series: [
          {
            series: `poolpilot_cgroup_memory_events{${j},instance="a",event="oom_kill"}`,
            values: '0 0 1x10',
          },
          { series: `poolpilot_cgroup_memory_events{${j},instance="a",event="oom"}`, values: '0 0 1x10' },
          { series: `poolpilot_cgroup_memory_events{${j},instance="b",event="oom_kill"}`, values: '2x12' },
        ],
        promql_expr_test: [
          {
            expr: alertsQuery('PoolpilotCgroupOOMKill'),
            eval_time: '5m',
            exp_samples: [
              firing('PoolpilotCgroupOOMKill', 'critical', {
                job: 'poolpilot',
                instance: 'a',
                event: 'oom_kill',
              }),
            ],
          },
        ],
      },
      {
        name: 'recording rules',
        interval: '1m',
        input_series: [
          {
            series: `poolpilot_decisions_total{${j},instance="a",service="nas",pool="buffers",action="shrink"}`,
            values: '0+60x10',
          },
          {
            series: `poolpilot_pool_capacity{${j},instance="a",service="nas",pool="buffers"}`,
            values: '512x10',
          },
          {
            series: `poolpilot_pool_target{${j},instance="a",service="nas",pool="buffers"}`,
            values: '1024x10',
          },
          { series: `poolpilot_cgroup_working_set_bytes{${j},instance="a"}`, values: '256x10' },
          { series: `poolpilot_cgroup_limit_bytes{${j},instance="a"}`, values: '1024x10' },
          { series: `poolpilot_ticks_total{${j},instance="a"}`, values: '0+60x10' },
          { series: `process_cpu_seconds_total{${j},instance="a"}`, values: '0+30x10' },
          { series: 'process_cpu_seconds_total{job="other",instance="z"}', values: '0+60x10' },
        ],
        promql_expr_test: [
          {
            expr: 'poolpilot:decisions:rate5m',
            eval_time: '10m',
            exp_samples: [
              {
                labels: `poolpilot:decisions:rate5m{${j},instance="a",service="nas",pool="buffers",action="shrink"}`,
                value: 1,
              },
            ],
          },
          {
            expr: 'poolpilot:pool_capacity:target_ratio',
            eval_time: '10m',
            exp_samples: [
              {
                labels: `poolpilot:pool_capacity:target_ratio{${j},instance="a",service="nas",pool="buffers"}`,
                value: 0.5,
              },
            ],
          },
          {
            expr: 'poolpilot:cgroup_working_set:limit_ratio',
            eval_time: '10m',
            exp_samples: [
              { labels: `poolpilot:cgroup_working_set:limit_ratio{${j},instance="a"}`, value: 0.25 },
            ],
          },
          {
            expr: 'poolpilot:process_cpu:rate5m',
            eval_time: '10m',
            exp_samples: [{ labels: `poolpilot:process_cpu:rate5m{${j},instance="a"}`, value: 0.5 }],
          },
        ],
      },
      ...poolHealthRuleTests(leakAlert),
    ],
  };
}

// ---------------------------------------------------------------------------------------------

interface ApiAnswer<T> {
  status: string;
  data: T;
  error?: string;
}
interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}
interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}
interface RulesData {
  groups: Array<{
    name: string;
    file: string;
    rules: Array<{
      type: 'recording' | 'alerting';
      name: string;
      health: string;
      lastError?: string;
      lastEvaluation: string;
    }>;
  }>;
}

describe('a real Prometheus scraping a running controller', { skip: skipPrometheus }, () => {
  let live: LiveController | undefined;
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let api: string;
  const log: string[] = [];

  async function get<T>(path: string): Promise<ApiAnswer<T>> {
    const res = await fetch(`${api}${path}`);
    return (await res.json()) as ApiAnswer<T>;
  }
  async function query(expr: string): Promise<ApiAnswer<{ resultType: string; result: VectorSample[] }>> {
    return get(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  }
  const logTail = (): string => log.join('').slice(-3000);

  before(async () => {
    const bin = requireProgram('prometheus', 'prometheus');
    // Reads keep the pools' counters moving, so the pool-health ratios have series.
    live = await startLiveController({ traffic: true });
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-prometheus-'));
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [rulesPath],
      scrape_configs: [{ job_name: 'poolpilot', static_configs: [{ targets: [live.hostPort] }] }],
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (b: Buffer) => log.push(b.toString()));
    prometheus.stderr?.on('data', (b: Buffer) => log.push(b.toString()));
    const ready = await waitForAsync(
      async () => {
        if (prometheus?.exitCode !== null) return true;
        return fetch(`${api}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      300,
      100,
    );
    assert.ok(ready && prometheus.exitCode === null, `Prometheus did not start: ${logTail()}`);
  });

  after(async () => {
    const p = prometheus;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await live?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the controller: the target is up', async () => {
    type Targets = { activeTargets: Array<{ health: string; lastError: string; scrapeUrl: string }> };
    let targets: Targets['activeTargets'] = [];
    await waitForAsync(
      async () => {
        targets = (await get<Targets>('/api/v1/targets')).data.activeTargets;
        return targets.length === 1 && targets[0]?.health === 'up';
      },
      150,
      100,
    );
    assert.equal(targets.length, 1);
    assert.equal(targets[0]?.health, 'up', `scrape of ${targets[0]?.scrapeUrl}: ${targets[0]?.lastError}`);
  });

  it('answers poolpilot_pool_capacity with one series per pool', async () => {
    let result: VectorSample[] = [];
    await waitForAsync(
      async () => {
        const answer = await query('poolpilot_pool_capacity');
        result = answer.data.result;
        return result.length >= EXPECTED_POOLS.length;
      },
      150,
      100,
    );
    const pools = result.map((s) => `${s.metric.service}/${s.metric.pool}`).sort();
    assert.deepEqual(pools, EXPECTED_POOLS, 'one series per service and pool');
    for (const s of result) {
      assert.equal(s.metric.job, 'poolpilot');
      assert.ok(Number(s.value[1]) > 0, `${s.metric.service}/${s.metric.pool} has a capacity`);
    }
  });

  it('loads the rules file: every group, every rule healthy, every recording rule with series', async () => {
    const groups = loadRules();
    const records = groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));
    const ruleCount = groups.reduce((n, g) => n + g.rules.length, 0);
    let data: RulesData = { groups: [] };
    const empty = new Set(records);
    await waitForAsync(
      async () => {
        data = (await get<RulesData>('/api/v1/rules')).data;
        const rules = data.groups.flatMap((g) => g.rules);
        for (const r of [...empty]) if ((await query(r)).data.result.length > 0) empty.delete(r);
        return (
          empty.size === 0 &&
          rules.length === ruleCount &&
          rules.every((r) => r.health === 'ok' && !r.lastEvaluation.startsWith('0001'))
        );
      },
      150,
      200,
    );
    assert.deepEqual(
      data.groups.map((g) => `${g.file} ${g.name}`).sort(),
      groups.map((g) => `${rulesPath} ${g.name}`).sort(),
    );
    for (const g of data.groups) {
      for (const r of g.rules) {
        assert.equal(r.health, 'ok', `${g.name}/${r.name}: ${r.lastError ?? ''}`);
      }
    }
    assert.deepEqual([...empty], [], 'recording rules without a series');
    // A healthy controller steering healthy services: nothing fires (a loaded CI machine may make
    // PoolpilotSidecarStarved pending for a moment; it needs 5 minutes to fire).
    type Alerts = { alerts: Array<{ labels: Record<string, string>; state: string }> };
    const alerts = (await get<Alerts>('/api/v1/alerts')).data.alerts;
    assert.deepEqual(
      alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname),
      [],
    );
  });

  it('records the pool-health ratios from the scraped counters, one series per pool', async () => {
    const by = 'sum by (job, instance, service, pool)';
    const takes = `${by} (rate(poolpilot_pool_hits_total[5m]) + rate(poolpilot_pool_misses_total[5m]))`;
    // Each ratio as the rule computes it, from the raw counters.
    const raw = {
      'poolpilot:pool_hits:ratio_rate5m': `${by} (rate(poolpilot_pool_hits_total[5m])) / ${takes}`,
      'poolpilot:pool_returns:ratio_rate5m': `${by} (rate(poolpilot_pool_returns_total[5m])) / ${takes}`,
    };
    const at = (m: Record<string, string>): string => `${m.service}/${m.pool}`;
    for (const [record, ratio] of Object.entries(raw)) {
      // The recorded samples of the last 10 s, with the times the rule was evaluated at.
      let series: MatrixSeries[] = [];
      await waitForAsync(
        async () => {
          series = (
            await get<{ result: MatrixSeries[] }>(
              `/api/v1/query?query=${encodeURIComponent(`${record}[10s]`)}`,
            )
          ).data.result;
          return series.length >= EXPECTED_POOLS.length;
        },
        150,
        200,
      );
      assert.deepEqual(
        series.map((s) => at(s.metric)).sort(),
        EXPECTED_POOLS,
        `${record}: one series per pool`,
      );
      for (const s of series) {
        const [time, text] = s.values[s.values.length - 1] ?? [0, 'NaN'];
        const value = Number(text);
        assert.ok(Number.isFinite(value) && value >= 0, `${record} ${at(s.metric)}: ${text}`);
        if (record.includes('hits')) assert.ok(value <= 1, `${record} ${at(s.metric)}: ${value}`);
        // The same ratio queried at that time (a scrape stored just after the evaluation may
        // move it a little).
        const direct = await get<{ result: VectorSample[] }>(
          `/api/v1/query?time=${time}&query=${encodeURIComponent(ratio)}`,
        );
        const same = direct.data.result.find((d) => at(d.metric) === at(s.metric));
        assert.ok(same, `${record} ${at(s.metric)}: the raw ratio at ${time}`);
        const expected = Number(same.value[1]);
        assert.ok(Math.abs(value - expected) < 0.02, `${record} ${at(s.metric)}: ${value}, raw ${expected}`);
      }
    }
  });

  it('answers every dashboard query, with data', async () => {
    const queries = dashboardQueries(loadDashboard());
    const bad: string[] = [];
    await waitForAsync(
      async () => {
        bad.length = 0;
        for (const q of queries) {
          const expr = withGrafanaVariables(q.expr);
          const answer = await query(expr);
          if (answer.status !== 'success') bad.push(`${q.where}: ${answer.error ?? answer.status}`);
          else if (answer.data.result.length === 0 && !MAY_BE_EMPTY.test(expr))
            bad.push(`${q.where}: no data`);
        }
        return bad.length === 0;
      },
      60,
      500,
    );
    assert.deepEqual(bad, []);
  });
});
