/**
 * The Grafana dashboard and the Prometheus rules file against a running controller: both parse,
 * the dashboard has the variables and panels it promises, and every metric either of them
 * queries is on the controller's /metrics. Needs nothing but the built CLI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  allPanels,
  dashboardQueries,
  declaredNames,
  loadDashboard,
  loadRules,
  promqlMetricNames,
  sampleNames,
  startLiveController,
} from './live-controller.js';
import type { Dashboard, LiveController, Panel } from './live-controller.js';

/**
 * Metrics a healthy run declares (# HELP, # TYPE) but has no sample of yet: poolpilot creates a
 * service's push failure counter at its first failure.
 */
const DECLARED_ONLY = new Set(['poolpilot_push_failures_total']);

const GRAFANA_BUILTINS = new Set(['__rate_interval', '__interval', '__range', '__interval_ms', '__range_s']);

function exprsOf(p: Panel): string[] {
  return (p.targets ?? []).map((t) => t.expr ?? '');
}

describe('the Grafana dashboard (dashboards/poolpilot.json)', () => {
  let d: Dashboard;
  let panels: Panel[];
  before(() => {
    d = loadDashboard();
    panels = allPanels(d).filter((p) => p.type !== 'row');
  });

  it('parses, and has a uid, a title and a current schemaVersion', () => {
    assert.equal(typeof d.uid, 'string');
    assert.ok(d.uid.length > 0 && d.uid.length <= 40, 'Grafana uids are at most 40 characters');
    assert.equal(d.title, 'poolpilot');
    assert.ok(d.schemaVersion >= 36 && d.schemaVersion <= 41, `schemaVersion ${d.schemaVersion}`);
  });

  it('has a Prometheus data source variable and job, instance, service and pool variables from label_values', () => {
    const vars = new Map(d.templating.list.map((v) => [v.name, v]));
    const ds = vars.get('datasource');
    assert.equal(ds?.type, 'datasource');
    assert.equal(ds?.query, 'prometheus');
    for (const name of ['job', 'instance', 'service', 'pool']) {
      const v = vars.get(name);
      assert.equal(v?.type, 'query', name);
      assert.equal(v?.datasource?.uid, '${datasource}', `${name} queries the chosen data source`);
      const q = typeof v?.query === 'string' ? v.query : v?.query?.query;
      assert.match(q ?? '', new RegExp(`^label_values\\(poolpilot_\\w+(\\{.*\\})?, ${name}\\)$`), name);
      assert.ok(v?.multi && v.includeAll, `${name} can select several or all`);
    }
  });

  it('every panel queries the chosen data source, has a description and a place on the grid', () => {
    const ids = new Set<number>();
    for (const p of allPanels(d)) {
      assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
      ids.add(p.id);
      assert.ok(
        p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24,
        `${p.title}: gridPos`,
      );
    }
    for (const p of panels) {
      assert.ok((p.description ?? '').length >= 40, `panel "${p.title}" has a description`);
      assert.equal(p.datasource?.uid, '${datasource}', `panel "${p.title}" uses the data source variable`);
      assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has queries`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `panel "${p.title}": refIds are unique`);
      for (const t of p.targets ?? []) {
        assert.ok(t.expr && t.expr.trim() !== '', `panel "${p.title}" ${t.refId}: an expression`);
        assert.equal(t.datasource?.uid, '${datasource}', `panel "${p.title}" ${t.refId}: data source`);
      }
    }
  });

  it('refers only to variables it defines (or Grafana built-ins)', () => {
    const defined = new Set(d.templating.list.map((v) => v.name));
    for (const q of dashboardQueries(d)) {
      for (const m of q.expr.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g)) {
        const name = m[1] ?? m[2] ?? '';
        assert.ok(defined.has(name) || GRAFANA_BUILTINS.has(name), `${q.where}: $${name} is not defined`);
      }
    }
  });

  it('has the panels the issue asks for', () => {
    const find = (what: string, pred: (p: Panel, exprs: string) => boolean): Panel => {
      const p = panels.find((x) => pred(x, exprsOf(x).join('\n')));
      assert.ok(p, `a panel with ${what}`);
      return p;
    };
    const steps = (p: Panel): Array<number | null> =>
      (p.fieldConfig?.defaults?.thresholds?.steps ?? []).map((s) => s.value);

    const cache = find('the cache signal', (_, e) => /poolpilot_signal\{[^}]*signal="cache"/.test(e));
    assert.deepEqual(steps(cache), [null, 0.3, 0.7], 'the cache panel shows the seed bands');
    const load = find('load per service', (_, e) => /poolpilot_signal\{[^}]*signal="load"/.test(e));
    assert.match(load.targets?.[0]?.legendFormat ?? '', /\{\{service\}\}/);
    const capacity = find(
      'capacity vs target',
      (_, e) => e.includes('poolpilot_pool_capacity') && e.includes('poolpilot_pool_target'),
    );
    assert.equal(capacity.repeat, 'pool', 'one capacity panel per pool');
    find('decisions by action', (_, e) => /by \(action\)[^\n]*poolpilot_decisions_total/.test(e));
    find('push failures', (_, e) => /rate\(poolpilot_push_failures_total/.test(e));
    find('circuit breakers', (p, e) => p.type === 'state-timeline' && e.includes('poolpilot_breaker_state'));
    find('push retries', (_, e) => /by \(service, reason\)[^\n]*rate\(poolpilot_push_retries_total/.test(e));
    find('config reload failures', (_, e) => /increase\(poolpilot_config_reload_failures_total/.test(e));
    find('tick duration', (_, e) =>
      /histogram_quantile\([^\n]*poolpilot_tick_duration_seconds_bucket/.test(e),
    );
    find('event-loop utilization', (_, e) => e.includes('poolpilot_event_loop_utilization_ratio'));
    find('event-loop delay', (_, e) => e.includes('poolpilot_event_loop_delay_p99_seconds'));
    find('RSS', (_, e) => e.includes('process_resident_memory_bytes'));
    find('CPU', (_, e) => /rate\(process_cpu_seconds_total/.test(e));
    find(
      'cgroup working set vs limit',
      (_, e) =>
        e.includes('poolpilot_cgroup_working_set_bytes') && e.includes('poolpilot_cgroup_limit_bytes'),
    );
    find('the refault rate', (_, e) => e.includes('poolpilot_refault_pages_per_second'));
  });

  it('has a "Pool health" row: hit and return ratio, objects in use, bytes and leak state per pool', () => {
    const start = d.panels.findIndex((p) => p.type === 'row' && p.title === 'Pool health');
    assert.ok(start >= 0, 'a row "Pool health"');
    const next = d.panels.findIndex((p, i) => i > start && p.type === 'row');
    const row = d.panels.slice(start + 1, next < 0 ? undefined : next);
    const sel = 'job=~"$job", instance=~"$instance", service=~"$service", pool=~"$pool"';
    const panel = (what: string, metric: string, type: string, unit?: string): Panel => {
      const p = row.find((x) => exprsOf(x).some((e) => e.includes(`${metric}{${sel}}`)));
      assert.ok(p, `a panel in the row with ${what} (${metric}, filtered by every variable)`);
      assert.equal(p.type, type, `${p.title}: type`);
      if (unit !== undefined) assert.equal(p.fieldConfig?.defaults?.unit, unit, `${p.title}: unit`);
      const legend = p.targets?.find((t) => t.expr?.includes(metric))?.legendFormat ?? '';
      assert.match(legend, /^\{\{service\}\}\/\{\{pool\}\}/, `${p.title}: one series per service/pool`);
      assert.ok(p.description?.includes(metric), `${p.title}: the description names ${metric}`);
      return p;
    };
    panel('the hit ratio', 'poolpilot:pool_hits:ratio_rate5m', 'timeseries', 'percentunit');
    panel('the return ratio', 'poolpilot:pool_returns:ratio_rate5m', 'timeseries');
    const inUse = panel('objects in use', 'poolpilot_pool_in_use', 'timeseries', 'none');
    assert.ok(
      exprsOf(inUse).some((e) => e.includes('poolpilot_pool_capacity')),
      'in use is drawn against capacity',
    );
    panel('bytes', 'poolpilot_pool_bytes', 'timeseries', 'bytes');
    const leak = panel('the leak state', 'poolpilot_pool_leak_suspected', 'state-timeline');
    const steps = (leak.fieldConfig?.defaults?.thresholds?.steps ?? []).map((s) => s.value);
    assert.deepEqual(steps, [null, 1], 'suspected (1) is coloured apart from healthy (0)');
  });

  it('queries only recording rules that the rules file defines', () => {
    const records = new Set(loadRules().flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
    for (const q of dashboardQueries(d)) {
      for (const n of promqlMetricNames(q.expr)) {
        if (n.includes(':')) assert.ok(records.has(n), `${q.where}: ${n} is not a recording rule`);
      }
    }
  });
});

describe('the rules file (dashboards/poolpilot-rules.yaml)', () => {
  it('parses, with recording rules named level:metric:operation and the alerts the issue asks for', () => {
    const groups = loadRules();
    const rules = groups.flatMap((g) => g.rules);
    const records = rules.flatMap((r) => (r.record ? [r.record] : []));
    for (const r of [
      'poolpilot:decisions:rate5m',
      'poolpilot:pool_hits:ratio_rate5m',
      'poolpilot:pool_returns:ratio_rate5m',
    ]) {
      assert.ok(records.includes(r), `recording rule ${r}`);
    }
    for (const r of records) assert.match(r, /^poolpilot:[a-z0-9_]+:[a-z0-9_]+$/, r);
    const alerts = new Map(rules.flatMap((r) => (r.alert ? [[r.alert, r] as const] : [])));
    for (const name of [
      'PoolpilotSidecarStarved',
      'PoolpilotPushesFailing',
      'PoolpilotConfigReloadFailing',
      'PoolpilotPoolPinnedAtMin',
      'PoolpilotSignalStale',
      'PoolpilotServiceDown',
      'PoolpilotBreakerOpen',
      'PoolpilotPoolLeakSuspected',
    ]) {
      const a = alerts.get(name);
      assert.ok(a, `alert ${name}`);
      for (const key of ['summary', 'description', 'runbook']) {
        assert.ok((a.annotations?.[key] ?? '').length > 10, `${name} has a ${key} annotation`);
      }
      assert.match(a.labels?.severity ?? '', /^(info|warning|critical)$/, `${name} has a severity`);
    }
    assert.equal(alerts.get('PoolpilotSidecarStarved')?.for, '5m');
    assert.equal(alerts.get('PoolpilotSignalStale')?.for, '5m');
    assert.equal(alerts.get('PoolpilotServiceDown')?.for, '5m');
    assert.equal(alerts.get('PoolpilotBreakerOpen')?.for, '1m');
    const leak = alerts.get('PoolpilotPoolLeakSuspected');
    assert.equal(leak?.for, '5m');
    assert.match(
      leak?.annotations?.summary ?? '',
      /\$labels\.service.*\$labels\.pool/,
      'names service and pool',
    );
    assert.match(leak?.annotations?.description ?? '', /never grows/, 'says that poolpilot does not grow it');
  });
});

describe('the metrics the dashboard and the rules query are on a running controller', () => {
  let live: LiveController;
  before(async () => {
    live = await startLiveController();
  });
  after(async () => {
    await live?.stop();
  });

  /** Checks `names` against /metrics: declared, and with samples unless DECLARED_ONLY. */
  async function checkOnMetrics(names: Map<string, string[]>): Promise<void> {
    const want = [...names.keys()].filter((n) => !DECLARED_ONLY.has(n));
    const text = await live.metricsWith(want);
    const declared = declaredNames(text);
    const sampled = sampleNames(text);
    const missing = [...names].filter(([n]) => !declared.has(n));
    assert.deepEqual(
      missing.map(([n, where]) => `${n} (${where.join('; ')})`),
      [],
      'metrics queried but not on /metrics',
    );
    const unsampled = want.filter((n) => !sampled.has(n));
    assert.deepEqual(unsampled, [], 'metrics declared on /metrics but without a sample');
  }

  it('every metric a dashboard query, variable or annotation selects (recording rules aside)', async () => {
    const recorded = new Set(
      loadRules().flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
    const names = new Map<string, string[]>();
    for (const q of dashboardQueries(loadDashboard())) {
      for (const n of promqlMetricNames(q.expr)) {
        if (!recorded.has(n)) names.set(n, [...(names.get(n) ?? []), q.where]);
      }
    }
    assert.ok(names.size >= 20, `found ${names.size} metric names in the dashboard`);
    await checkOnMetrics(names);
  });

  it('every metric a rule selects (its own recording rules aside)', async () => {
    const rules = loadRules().flatMap((g) => g.rules);
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    const names = new Map<string, string[]>();
    for (const r of rules) {
      for (const n of promqlMetricNames(r.expr)) {
        if (!recorded.has(n)) names.set(n, [...(names.get(n) ?? []), r.record ?? r.alert ?? '?']);
      }
    }
    assert.ok(names.size >= 12, `found ${names.size} metric names in the rules`);
    await checkOnMetrics(names);
  });

  it('the name extraction sees metrics, not functions, keywords, labels, strings or variables', () => {
    assert.deepEqual(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (le, job) (rate(a_bucket{job=~"$job", x="y z"}[$__rate_interval]))) ' +
          '> on (instance) group_left (pool) b:c:d offset 5m or vector(1) and bool 1e3 * Inf unless ' +
          '{__name__="e_total"} - label_replace(f, "dst", "$1", "src", "(.*)")',
      ).sort(),
      ['a_bucket', 'b:c:d', 'e_total', 'f'],
    );
  });
});
