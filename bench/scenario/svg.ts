/**
 * One hand-written SVG chart per arm: four panels over the same time axis (throughput with failed
 * requests, p99 latency, the cgroup's memory against its limit, each pool's capacity as a share of
 * its bound), the neighbour's stay shaded and every OOM kill or NAS restart marked.
 */
import type { ArmResult } from './records.js';
import type { Plan } from './plan.js';
import { POOLS, poolBounds } from './plan.js';

const W = 900;
const LEFT = 70;
const RIGHT = 200;
const PANEL = 130;
const GAP = 34;
const TOP = 40;
const MiB = 1024 * 1024;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  readonly dash?: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string =>
  v >= 10_000
    ? `${Math.round(v / 1000)}k`
    : v >= 1000
      ? `${(v / 1000).toFixed(1)}k`
      : `${Math.round(v * 10) / 10}`;

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= v) return m * step;
  return 10 * step;
}

export function armChart(arm: ArmResult, plan: Plan): string {
  const limitBytes = plan.limitBytes;
  const bounds = poolBounds(plan);
  const seconds = arm.seconds;
  const n = Math.max(1, seconds.length);
  const plotW = W - LEFT - RIGHT;
  const x = (t: number): number => LEFT + (t / n) * plotW;
  const out: string[] = [];
  const panels = 4;
  const H = TOP + panels * (PANEL + GAP) + 10;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(arm.name)}: ${arm.summary.calmRps} req/s calm, ${arm.summary.wholeRps} whole run, ${arm.summary.failed} failed, ${arm.oomKills} OOM kills, ${arm.restarts} restarts</text>`,
  );
  const deaths = seconds.filter(
    (s, i) =>
      s.oomKills > (i === 0 ? 0 : (seconds[i - 1]?.oomKills ?? 0)) ||
      s.restarts > (i === 0 ? 0 : (seconds[i - 1]?.restarts ?? 0)),
  );

  const panel = (
    index: number,
    title: string,
    unit: string,
    series: readonly Series[],
    fixedMax?: number,
    bars?: Series,
  ): void => {
    const top = TOP + index * (PANEL + GAP);
    const bottom = top + PANEL;
    const all = [...series, ...(bars === undefined ? [] : [bars])].flatMap((s) =>
      s.values.filter((v): v is number => v !== null),
    );
    const max = fixedMax ?? niceMax(Math.max(0, ...all));
    const y = (v: number): number => bottom - (Math.min(v, max) / max) * PANEL;
    const [a, b] = arm.neighbourWindowS;
    out.push(
      `<rect x="${x(a).toFixed(1)}" y="${top}" width="${Math.max(1, x(Math.min(b, n)) - x(a)).toFixed(1)}" height="${PANEL}" fill="#f4cccc" opacity="0.6"/>`,
    );
    const [c0, c1] = arm.calmWindowS;
    out.push(
      `<rect x="${x(c0).toFixed(1)}" y="${top}" width="${(x(c1) - x(c0)).toFixed(1)}" height="${PANEL}" fill="#d9ead3" opacity="0.5"/>`,
    );
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL}" fill="none" stroke="#999"/>`);
    out.push(`<text x="${LEFT}" y="${top - 6}" font-weight="bold">${esc(title)}</text>`);
    for (const f of [0, 0.5, 1]) {
      const v = max * f;
      out.push(
        `<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      );
      out.push(
        `<text x="${LEFT - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}${unit}</text>`,
      );
    }
    for (const d of deaths) {
      out.push(
        `<line x1="${x(d.t - 0.5).toFixed(1)}" x2="${x(d.t - 0.5).toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#d62728" stroke-width="2"/>`,
      );
    }
    if (bars !== undefined) {
      bars.values.forEach((v, i) => {
        if (v === null || v <= 0) return;
        out.push(
          `<rect x="${x(i).toFixed(1)}" y="${y(v).toFixed(1)}" width="${Math.max(1, plotW / n - 1).toFixed(1)}" height="${(bottom - y(v)).toFixed(1)}" fill="${bars.color}" opacity="0.7"/>`,
        );
      });
    }
    for (const s of series) {
      let d = '';
      let pen = false;
      s.values.forEach((v, i) => {
        if (v === null) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${x(i + 0.5).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      });
      out.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dash === true ? ' stroke-dasharray="5,3"' : ''}/>`,
      );
    }
    [...series, ...(bars === undefined ? [] : [bars])].forEach((s, i) => {
      const ly = top + 12 + i * 15;
      out.push(`<rect x="${LEFT + plotW + 10}" y="${ly - 8}" width="12" height="8" fill="${s.color}"/>`);
      out.push(`<text x="${LEFT + plotW + 26}" y="${ly}">${esc(s.label)}</text>`);
    });
    if (index === panels - 1) {
      for (let t = 0; t <= n; t += n > 120 ? 20 : 10) {
        out.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 14}" text-anchor="middle">${t}s</text>`);
      }
    }
  };

  panel(
    0,
    'throughput (req/s), failed requests per second',
    '',
    [{ label: 'req/s', color: COLORS[0] as string, values: seconds.map((s) => s.ok) }],
    undefined,
    {
      label: 'failed/s',
      color: '#d62728',
      values: seconds.map((s) => s.failed),
    },
  );
  panel(1, 'latency (ms)', '', [
    { label: 'p99', color: COLORS[1] as string, values: seconds.map((s) => s.p99Ms ?? null) },
    { label: 'p50', color: COLORS[0] as string, values: seconds.map((s) => s.p50Ms ?? null) },
  ]);
  panel(
    2,
    'memory cgroup (MiB)',
    '',
    [
      { label: 'usage', color: COLORS[0] as string, values: seconds.map((s) => s.usageBytes / MiB) },
      {
        label: 'working set',
        color: COLORS[2] as string,
        values: seconds.map((s) => s.workingSetBytes / MiB),
      },
      {
        label: 'anon + shmem',
        color: COLORS[3] as string,
        values: seconds.map((s) => s.unreclaimableBytes / MiB),
      },
      {
        label: `limit ${limitBytes / MiB} MiB`,
        color: '#d62728',
        values: seconds.map(() => limitBytes / MiB),
        dash: true,
      },
    ],
    Math.ceil(((limitBytes / MiB) * 1.1) / 50) * 50,
  );
  panel(
    3,
    'pool capacity (% of static-large)',
    '%',
    POOLS.map((pool, i) => ({
      label: `${pool} (100 % = ${bounds[pool].max})`,
      color: COLORS[i % COLORS.length] as string,
      values: seconds.map((s) => {
        const c = s.capacities[pool];
        return c === undefined ? null : (100 * c) / bounds[pool].max;
      }),
    })),
    100,
  );
  const legendY = H - 4;
  out.push(
    `<text x="${LEFT}" y="${legendY}" fill="#666">green: calm window; red shade: the neighbour in the cgroup; red lines: an OOM kill or NAS restart</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}
