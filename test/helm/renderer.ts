/**
 * Renders a chart as `helm template` does: with helm when it is on PATH, otherwise with
 * tools/helm-render, built here with Debian's Go and sprig packages (GO111MODULE=off,
 * GOPATH=/usr/share/gocode). Without either, the helm tests skip on a developer machine and fail
 * under CI=true, where .ci/run installs the Go packages.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/** The chart under test. */
export const chartDir = join(repoRoot, 'helm', 'poolpilot');
const toolDir = join(repoRoot, 'tools', 'helm-render');
const GOPATH = '/usr/share/gocode';
/** What a machine needs for the Go renderer (and what .ci/run installs). */
export const GO_PACKAGES = 'golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev';

export type Renderer =
  | { readonly kind: 'helm'; readonly bin: string }
  | { readonly kind: 'go'; readonly bin: string }
  | { readonly kind: 'missing'; readonly reason: string };

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Builds tools/helm-render once per source version into the temp directory (test files run in
 * parallel processes: each builds into its own directory and renames it into place).
 */
function buildGoRenderer(go: string): Renderer {
  const sources = readdirSync(toolDir)
    .filter((f) => f.endsWith('.go'))
    .sort();
  const hash = createHash('sha256');
  for (const f of sources) hash.update(f).update(readFileSync(join(toolDir, f)));
  const dir = join(tmpdir(), `poolpilot-helm-render-${hash.digest('hex').slice(0, 16)}`);
  const bin = join(dir, 'helm-render');
  if (existsSync(bin)) return { kind: 'go', bin };
  const work = mkdtempSync(join(tmpdir(), 'poolpilot-helm-render-build-'));
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH,
    CGO_ENABLED: '0',
    GOFLAGS: '',
    GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'poolpilot-go-cache'),
  };
  const built = spawnSync(go, ['build', '-o', join(work, 'helm-render'), '.'], {
    cwd: toolDir,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (built.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    const why = `${built.stderr ?? ''}${built.error?.message ?? ''}`.trim();
    return {
      kind: 'missing',
      reason: `go build of tools/helm-render failed (apt-get install ${GO_PACKAGES}):\n${why}`,
    };
  }
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another process won the race
  }
  return { kind: 'go', bin };
}

function findRenderer(): Renderer {
  const helm = onPath('helm');
  if (helm !== undefined) return { kind: 'helm', bin: helm };
  const go = onPath('go');
  if (go === undefined) {
    return { kind: 'missing', reason: `neither helm nor go is on PATH (apt-get install ${GO_PACKAGES})` };
  }
  if (!existsSync(join(GOPATH, 'src', 'github.com', 'Masterminds', 'sprig'))) {
    return { kind: 'missing', reason: `sprig is not under ${GOPATH} (apt-get install ${GO_PACKAGES})` };
  }
  return buildGoRenderer(go);
}

export const renderer: Renderer = findRenderer();

/**
 * The `skip` option of a helm test: the reason on a machine without a renderer, false under
 * CI=true (the test then runs and fails with the reason) or when a renderer is there.
 */
export const skipWithoutRenderer: string | false =
  renderer.kind === 'missing' && process.env.CI !== 'true' ? renderer.reason : false;

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Values files' contents, applied in order (as -f). */
  readonly values?: readonly object[];
  /** --set expressions, in order. */
  readonly set?: readonly string[];
  readonly chart?: string;
  /** Kubernetes version to render for (the Go renderer's --kube-version, helm's --kube-version). */
  readonly kubeVersion?: string;
}

export interface RenderResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** NOTES.txt as rendered (Go renderer only; helm template does not render it). */
  readonly notes?: string;
}

/** Runs the renderer; never throws for a failed render (status and stderr tell). */
export function renderRaw(options: RenderOptions = {}): RenderResult {
  if (renderer.kind === 'missing') throw new Error(renderer.reason);
  const work = mkdtempSync(join(tmpdir(), 'poolpilot-helm-values-'));
  try {
    const args = [
      options.release ?? 'demo',
      options.chart ?? chartDir,
      '--namespace',
      options.namespace ?? 'nas',
    ];
    (options.values ?? []).forEach((values, i) => {
      const file = join(work, `values-${i}.json`); // JSON is YAML: helm and the Go renderer read it
      writeFileSync(file, JSON.stringify(values));
      args.push('-f', file);
    });
    for (const s of options.set ?? []) args.push('--set', s);
    if (options.kubeVersion !== undefined) args.push('--kube-version', options.kubeVersion);
    const notesFile = join(work, 'NOTES.txt');
    if (renderer.kind === 'go') args.push('--notes-out', notesFile);
    const full = renderer.kind === 'helm' ? ['template', ...args] : args;
    const run = spawnSync(renderer.bin, full, { encoding: 'utf8', timeout: 60_000 });
    return {
      status: run.status ?? 1,
      stdout: run.stdout ?? '',
      stderr: `${run.stderr ?? ''}${run.error?.message ?? ''}`,
      ...(existsSync(notesFile) ? { notes: readFileSync(notesFile, 'utf8') } : {}),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
