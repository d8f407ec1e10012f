/**
 * What the monitoring tests share: a real `poolpilot run` (the built CLI) steering two demo
 * services, with every cache source on (a fake /proc at 75 % memory use, so it shrinks and counts
 * decisions; the v2-limited cgroup fixture, so the cgroup figures are exported; /proc/vmstat, so
 * the refault rate is), the metric names its /metrics declares, the PromQL metric names a
 * dashboard or rules file refers to, and how to find an external program (skip on a developer
 * machine without it, fail under CI=true).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import { NAS_POOLS, SEED_SIGNALS, policyYaml } from '../helpers/config.js';
import { startTestNas } from '../helpers/test-nas.js';
import type { TestNas } from '../helpers/test-nas.js';
import { cliPath, fixtures, repoRoot } from '../helpers/paths.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitForAsync } from '../helpers/wait.js';
import { startTraffic } from './nas-traffic.js';
import type { Traffic } from './nas-traffic.js';

export const dashboardPath = join(repoRoot, 'dashboards', 'poolpilot.json');
export const rulesPath = join(repoRoot, 'dashboards', 'poolpilot-rules.yaml');

/** The pools each NAS service has, as `service/pool`. */
export const DEMO_SERVICES = ['nas', 'archive'] as const;
export const DEMO_POOLS = ['buffers', 'handles', 'metadata'] as const;
export const EXPECTED_POOLS = DEMO_SERVICES.flatMap((s) => DEMO_POOLS.map((p) => `${s}/${p}`)).sort();

// ---------------------------------------------------------------------------------------------
// External programs

/** Whether CI=true (CI installs what the tests need, so a missing program is a failure there). */
export const inCi = /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** The program when it runs (`--version` answers), else undefined. */
export function findProgram(name: string): string | undefined {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.error === undefined && r.status === 0 ? name : undefined;
}

/**
 * The `skip` option of a test that needs `name`: false when it is installed or under CI=true
 * (where the test then fails on {@link requireProgram}), else the reason it is skipped.
 */
export function skipWithout(name: string, pkg: string): string | false {
  if (findProgram(name) !== undefined || inCi) return false;
  return `${name} is not installed (Debian: apt-get install ${pkg}); CI=true makes this a failure`;
}

/** Throws, naming the package, when `name` does not run (only reached under CI=true or when present). */
export function requireProgram(name: string, pkg: string): string {
  const found = findProgram(name);
  if (found === undefined) {
    throw new Error(`${name} is not installed but CI=true: .ci/run must install the Debian package ${pkg}`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The live controller

export interface LiveController {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** `127.0.0.1:<port>`, for a scrape target. */
  readonly hostPort: string;
  metrics(): Promise<string>;
  /** Waits until /metrics has a sample of every one of `names` (or the time is up) and returns it. */
  metricsWith(names: readonly string[], timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

function monitoringYaml(services: ReadonlyArray<{ name: string; url: string }>): string {
  return policyYaml({
    name: 'monitoring-test',
    fastPath: 'off',
    onMissing: 'hold',
    signals: { ...SEED_SIGNALS, cache: ['meminfo', 'psi', 'cgroup', 'refault'] },
    services: services.map((s) => ({ ...s, pools: NAS_POOLS })),
  });
}

/**
 * Starts two NAS services and `poolpilot run` steering them, with a shadow policy; resolves once
 * it prints its URL. With `traffic`, the services' files are read a few times a second until
 * `stop()`, so that their pools' hit, miss and return counters keep moving.
 */
export async function startLiveController(options: { traffic?: boolean } = {}): Promise<LiveController> {
  const proc = new FakeProcRoot(0.75);
  copyFileSync(fixtures('proc', 'real', 'vmstat'), join(proc.dir, 'vmstat'));
  const dir = mkdtempSync(join(tmpdir(), 'poolpilot-monitoring-'));
  const services: TestNas[] = [];
  let child: ChildProcessWithoutNullStreams | undefined;
  let traffic: Traffic | undefined;
  const cleanup = async (): Promise<void> => {
    await traffic?.stop();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await Promise.all(services.map((s) => s.close()));
    proc.remove();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The content pool (not steered here) off, so that every read takes a buffer and a handle
    // and the steered pools count the traffic.
    for (const name of DEMO_SERVICES)
      services.push(await startTestNas({ service: name, capacities: { content: 0 } }));
    const config = join(dir, 'policy.yaml');
    const yaml = monitoringYaml(
      DEMO_SERVICES.map((name, i) => ({ name, url: (services[i] as TestNas).url })),
    );
    // A shadow policy beside it (a gentler shrink), so that its series are on /metrics too.
    writeFileSync(join(dir, 'shadow.yaml'), yaml.replace('factor: 0.8', 'factor: 0.9'));
    writeFileSync(config, `shadow: shadow.yaml\n${yaml}`);
    const started = spawn(process.execPath, [cliPath, 'run', '--config', config], {
      env: {
        ...process.env,
        POOLPILOT_PORT: '0',
        POOLPILOT_HOST: '127.0.0.1',
        POOLPILOT_LOG_LEVEL: 'warn',
        POOLPILOT_PROC_ROOT: proc.dir,
        POOLPILOT_CGROUP_ROOT: fixtures('cgroup', 'v2-limited'),
      },
    });
    child = started;
    const stderr: string[] = [];
    started.stderr.on('data', (b: Buffer) => stderr.push(b.toString()));
    const base = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: started.stdout });
      lines.on('line', (line) => {
        const m = /dashboard (http:\/\/\S+)\//.exec(line);
        if (m?.[1]) resolve(m[1]);
      });
      started.once('exit', (code) => reject(new Error(`poolpilot run exited ${code}: ${stderr.join('')}`)));
    });
    if (options.traffic === true) traffic = startTraffic(services.map((s) => s.url));
    const metrics = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
    return {
      base,
      hostPort: new URL(base).host,
      metrics,
      async metricsWith(names, timeoutMs = 15_000) {
        let text = '';
        await waitForAsync(
          async () => {
            text = await metrics();
            const present = sampleNames(text);
            return names.every((n) => present.has(n));
          },
          Math.ceil(timeoutMs / 100),
          100,
        );
        return text;
      },
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus text

/** Names of the samples in Prometheus text (`foo_bucket`, `foo_total`, ...). */
export function sampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

/**
 * Every name a query may use for what the text declares: each family in a `# TYPE` line (for a
 * histogram also `_bucket`, `_sum`, `_count`; for a summary `_sum`, `_count`), and every sample.
 */
export function declaredNames(text: string): Set<string> {
  const names = sampleNames(text);
  for (const m of text.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// PromQL

/** Keywords and operators that look like identifiers. Functions are found by the `(` after them. */
const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'atan2',
  'inf',
  'nan',
  'start',
  'end',
]);

/**
 * The metric names a PromQL expression selects: with string literals, label matchers (`{...}`),
 * ranges and subqueries (`[...]`), Grafana variables (`$x`, `${x}`, `[[x]]`), the label lists of
 * `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`, numbers and durations taken out, what
 * is left that is not a function call or a keyword. `{__name__="x"}` selectors are counted too.
 */
export function promqlMetricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/__name__\s*=~?\s*"([^"]*)"/g)) if (m[1]) names.add(m[1]);
  let s = expr
    .replace(/#[^\n]*/g, ' ') // PromQL comments
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+|\[\[[^\]]*\]\]/g, ' ');
  // Nested braces do not occur in PromQL; ranges like [5m:1m] contain no identifiers.
  s = s.replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of s.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, word, call] = m as unknown as [string, string, string | undefined];
    if (call !== undefined || PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** A free TCP port on 127.0.0.1 (closed again; the caller binds it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The rules file

export interface RuleSpec {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly RuleSpec[];
}

/** dashboards/poolpilot-rules.yaml, parsed. */
export function loadRules(): readonly RuleGroup[] {
  const doc = parseYaml(readFileSync(rulesPath, 'utf8')) as { groups?: RuleGroup[] };
  if (!Array.isArray(doc.groups)) throw new Error(`${rulesPath} has no groups`);
  return doc.groups;
}

// ---------------------------------------------------------------------------------------------
// The Grafana dashboard

/** A panel as far as the tests look at it (rows hold their panels when collapsed). */
export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly targets?: ReadonlyArray<{
    readonly expr?: string;
    readonly refId?: string;
    readonly legendFormat?: string;
    readonly datasource?: { readonly type?: string; readonly uid?: string };
  }>;
  readonly fieldConfig?: {
    readonly defaults?: {
      readonly unit?: string;
      readonly thresholds?: { readonly steps?: ReadonlyArray<{ value: number | null }> };
    };
  };
  readonly repeat?: string;
  readonly panels?: readonly Panel[];
}

export interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly multi?: boolean;
  readonly includeAll?: boolean;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
  readonly annotations?: {
    readonly list: ReadonlyArray<{
      readonly name: string;
      readonly expr?: string;
      readonly builtIn?: number;
    }>;
  };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(dashboardPath, 'utf8')) as Dashboard;
}

/** Every panel, rows' panels included. */
export function allPanels(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (ps: readonly Panel[]): void => {
    for (const p of ps) {
      out.push(p);
      if (p.panels) walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

export interface DashboardQuery {
  /** Where it is, e.g. `panel "Cache signal" A`. */
  readonly where: string;
  readonly kind: 'panel' | 'annotation' | 'variable';
  /** PromQL (for a variable, the metric selector of its label_values, or its query_result). */
  readonly expr: string;
}

/** The PromQL of every panel target, annotation and query variable. */
export function dashboardQueries(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      if (t.expr) out.push({ where: `panel "${p.title}" ${t.refId ?? ''}`, kind: 'panel', expr: t.expr });
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.expr) out.push({ where: `annotation "${a.name}"`, kind: 'annotation', expr: a.expr });
  }
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const where = `variable $${v.name}`;
    const values = /^\s*label_values\((?:(.+),\s*)?([a-zA-Z_]\w*)\s*\)\s*$/s.exec(q);
    const result = /^\s*query_result\((.+)\)\s*$/s.exec(q);
    // label_values(label) looks at every metric: it names none.
    if (values) {
      if (values[1] !== undefined) out.push({ where, kind: 'variable', expr: values[1] });
    } else if (result?.[1] !== undefined) out.push({ where, kind: 'variable', expr: result[1] });
    else throw new Error(`${where}: a query the tests cannot read: ${q}`);
  }
  return out;
}

/** Grafana's variables as values Prometheus can run: every template variable matches all. */
export function withGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__interval|\$\{__interval\}/g, '15s')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, '.*');
}
