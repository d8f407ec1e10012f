/**
 * Pieces of the `promtool test rules` file that prometheus.test.ts writes: the `ALERTS` sample of
 * a firing alert, and the test groups of the pool-health rules (PoolpilotPoolLeakSuspected and the
 * hit and return ratios), on synthetic series one minute apart.
 */
import type { RuleSpec } from './live-controller.js';

/** Labels of one alert in `ALERTS`, firing. */
export function firing(
  alertname: string,
  severity: string,
  labels: Record<string, string>,
): { labels: string; value: 1 } {
  const all = { alertname, alertstate: 'firing', severity, ...labels };
  const text = Object.entries(all)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return { labels: `ALERTS{${text}}`, value: 1 };
}

export const alertsQuery = (name: string): string => `ALERTS{alertname="${name}",alertstate="firing"}`;

/** An annotation template with `{{ $labels.x }}` filled in (the only templating the pool alerts use). */
function expand(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

/** Samples of a recording rule at one instance of job poolpilot, keyed by `service/pool`. */
function recorded(record: string, values: Record<string, number>): Array<{ labels: string; value: number }> {
  return Object.entries(values).map(([at, value]) => {
    const [service, pool] = at.split('/');
    return { labels: `${record}{job="poolpilot",instance="a",service="${service}",pool="${pool}"}`, value };
  });
}

/**
 * The test groups of the pool-health rules. `leakAlert` is the PoolpilotPoolLeakSuspected rule
 * from the rules file: the test expects its annotations as promtool renders them for nas/buffers.
 */
export function poolHealthRuleTests(leakAlert: RuleSpec): unknown[] {
  const j = 'job="poolpilot",instance="a"';
  const pool = (metric: string, at: string): string => {
    const [service, name] = at.split('/');
    return `${metric}{${j},service="${service}",pool="${name}"}`;
  };
  const buffers = { job: 'poolpilot', instance: 'a', service: 'nas', pool: 'buffers' };
  const annotations = Object.fromEntries(
    Object.entries(leakAlert.annotations ?? {}).map(([k, v]) => [k, expand(v, buffers)]),
  );
  return [
    {
      name: 'PoolpilotPoolLeakSuspected',
      interval: '1m',
      input_series: [
        // buffers: suspected from 2m to 16m, then cleared. handles: never. metadata: suspected
        // four minutes out of five (one scrape at 0 each time), which must not page.
        { series: pool('poolpilot_pool_leak_suspected', 'nas/buffers'), values: '0 0 1x14 0x8' },
        { series: pool('poolpilot_pool_leak_suspected', 'nas/handles'), values: '0x24' },
        {
          series: pool('poolpilot_pool_leak_suspected', 'nas/metadata'),
          values: '1 1 1 1 0 1 1 1 1 0 1 1 1 1 0 1 1 1 1 0 1 1 1 1 0',
        },
      ],
      alert_rule_test: [
        { alertname: 'PoolpilotPoolLeakSuspected', eval_time: '6m', exp_alerts: [] },
        {
          alertname: 'PoolpilotPoolLeakSuspected',
          eval_time: '7m',
          exp_alerts: [{ exp_labels: { severity: 'warning', ...buffers }, exp_annotations: annotations }],
        },
        { alertname: 'PoolpilotPoolLeakSuspected', eval_time: '17m', exp_alerts: [] },
      ],
      promql_expr_test: [
        // Pending, not firing, before its 5 minutes.
        { expr: alertsQuery('PoolpilotPoolLeakSuspected'), eval_time: '6m', exp_samples: [] },
        {
          expr: alertsQuery('PoolpilotPoolLeakSuspected'),
          eval_time: '15m',
          exp_samples: [firing('PoolpilotPoolLeakSuspected', 'warning', buffers)],
        },
        // Resolved once the gauge is back at 0, and the flapping pool never fired.
        { expr: alertsQuery('PoolpilotPoolLeakSuspected'), eval_time: '17m', exp_samples: [] },
        { expr: alertsQuery('PoolpilotPoolLeakSuspected'), eval_time: '24m', exp_samples: [] },
      ],
    },
    {
      name: 'pool-health recording rules',
      interval: '1m',
      input_series: [
        // nas/buffers: per minute 54 hits, 6 misses, 48 returns.
        { series: pool('poolpilot_pool_hits_total', 'nas/buffers'), values: '0+54x20' },
        { series: pool('poolpilot_pool_misses_total', 'nas/buffers'), values: '0+6x20' },
        { series: pool('poolpilot_pool_returns_total', 'nas/buffers'), values: '0+48x20' },
        // nas/handles: per minute 45 hits, 15 misses, 30 returns; the service restarts between
        // 6m and 7m, so every counter starts again from 0 and has counted one minute at 7m.
        { series: pool('poolpilot_pool_hits_total', 'nas/handles'), values: '0+45x6 45+45x13' },
        { series: pool('poolpilot_pool_misses_total', 'nas/handles'), values: '0+15x6 15+15x13' },
        { series: pool('poolpilot_pool_returns_total', 'nas/handles'), values: '0+30x6 30+30x13' },
        // nas/metadata: no traffic at all.
        { series: pool('poolpilot_pool_hits_total', 'nas/metadata'), values: '100x20' },
        { series: pool('poolpilot_pool_misses_total', 'nas/metadata'), values: '50x20' },
        { series: pool('poolpilot_pool_returns_total', 'nas/metadata'), values: '150x20' },
        // archive/buffers: a service that does not report returns; 15 hits and 105 misses a minute.
        // (Rates and ratios are chosen exact in binary: promtool compares values exactly.)
        { series: pool('poolpilot_pool_hits_total', 'archive/buffers'), values: '0+15x20' },
        { series: pool('poolpilot_pool_misses_total', 'archive/buffers'), values: '0+105x20' },
      ],
      promql_expr_test: [
        {
          expr: 'poolpilot:pool_takes:rate5m',
          eval_time: '10m',
          exp_samples: recorded('poolpilot:pool_takes:rate5m', {
            'nas/buffers': 1,
            'nas/handles': 1,
            'nas/metadata': 0,
            'archive/buffers': 2,
          }),
        },
        {
          // The reset at 7m is in the 5 minutes: the ratio is as before it. No series for the
          // pool without traffic.
          expr: 'poolpilot:pool_hits:ratio_rate5m',
          eval_time: '10m',
          exp_samples: recorded('poolpilot:pool_hits:ratio_rate5m', {
            'nas/buffers': 0.9,
            'nas/handles': 0.75,
            'archive/buffers': 0.125,
          }),
        },
        {
          // Nor for the pool whose service does not report returns.
          expr: 'poolpilot:pool_returns:ratio_rate5m',
          eval_time: '10m',
          exp_samples: recorded('poolpilot:pool_returns:ratio_rate5m', {
            'nas/buffers': 0.8,
            'nas/handles': 0.5,
          }),
        },
        {
          // Before the restart, the same ratios.
          expr: 'poolpilot:pool_hits:ratio_rate5m{pool="handles"}',
          eval_time: '6m',
          exp_samples: recorded('poolpilot:pool_hits:ratio_rate5m', { 'nas/handles': 0.75 }),
        },
      ],
    },
  ];
}
