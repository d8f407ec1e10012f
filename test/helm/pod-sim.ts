/**
 * Runs a rendered pod on this machine, as closely as processes allow: the image is what the
 * Dockerfile builds (the files `npm pack` ships, beside node_modules), each volume is a directory
 * (ConfigMap and Secret volumes written from the rendered objects, emptyDirs shared between the
 * containers), and every path under a mount (in commands, args, env, and the files of the volumes
 * themselves) is rewritten to that directory. Containers get only their own environment, with
 * downward-API fields and $(VAR) references resolved as the kubelet does. Init containers run to
 * completion first; probes are the rendered ones.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { at } from './manifests.js';
import type { Manifest } from './manifests.js';
import type { Container, PodTemplate, Probe } from './pod-spec.js';

/** Where the Dockerfile puts the package (WORKDIR). */
const IMAGE_WORKDIR = '/app';
export const FAKE_POD_UID = '7f2c1d9e-0000-4000-8000-00000000a11d';

/**
 * The image's /app: the files `npm pack` ships (package.json "files": the product, never the
 * compiled tests or benchmarks), and node_modules.
 */
export function buildImageRoot(dir: string): string[] {
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (pack.status !== 0) throw new Error(`npm pack --dry-run failed: ${pack.stderr}`);
  const [info] = JSON.parse(pack.stdout) as [{ files: { path: string }[] }];
  const files = info.files.map((f) => f.path);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(dir, file));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return files;
}

export interface PodOptions {
  readonly pod: PodTemplate;
  /** The rendered objects the pod's volumes refer to. */
  readonly objects: readonly Manifest[];
  readonly imageRoot: string;
  /** A scratch directory for the volumes. */
  readonly work: string;
}

export interface RunningContainer {
  readonly name: string;
  readonly spec: Container;
  readonly child: ChildProcess;
  output(): string;
}

/** Rewrites absolute paths under each prefix (longest first) at path boundaries. */
function rewriter(map: ReadonlyMap<string, string>): (text: string) => string {
  const prefixes = [...map.keys()].sort((a, b) => b.length - a.length);
  const escaped = prefixes.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![\\w.-])(${escaped.join('|')})(?=/|$|[^\\w.-])`, 'g');
  return (text) => (prefixes.length === 0 ? text : text.replace(pattern, (p) => map.get(p) ?? p));
}

/** Writes a ConfigMap or Secret volume's files for one container, its paths rewritten. */
function writeProjected(
  volumeDir: string,
  entries: Readonly<Record<string, string>>,
  items: readonly { key: string; path: string }[] | undefined,
  rewrite: (s: string) => string,
): void {
  mkdirSync(volumeDir, { recursive: true });
  const chosen = items ?? Object.keys(entries).map((key) => ({ key, path: key }));
  for (const { key, path } of chosen) {
    const value = entries[key];
    if (value === undefined) throw new Error(`key ${key} is not in the volume's object`);
    mkdirSync(dirname(join(volumeDir, path)), { recursive: true });
    writeFileSync(join(volumeDir, path), rewrite(value));
  }
}

function containerFs(c: Container, options: PodOptions): (text: string) => string {
  const map = new Map<string, string>([[IMAGE_WORKDIR, options.imageRoot]]);
  const mounts = c.volumeMounts ?? [];
  for (const m of mounts) {
    const v = options.pod.spec.volumes?.find((x) => x.name === m.name);
    if (v === undefined) throw new Error(`${c.name}: no volume ${m.name}`);
    map.set(
      m.mountPath,
      v.emptyDir ? join(options.work, 'volumes', v.name) : join(options.work, c.name, v.name),
    );
  }
  const rewrite = rewriter(map);
  for (const m of mounts) {
    const v = options.pod.spec.volumes?.find((x) => x.name === m.name);
    const dir = map.get(m.mountPath) ?? '';
    const find = (kind: string, name: string | undefined): Manifest => {
      const found = options.objects.find((o) => o.kind === kind && o.metadata.name === name);
      if (found === undefined)
        throw new Error(`${c.name}: volume ${m.name} needs ${kind} ${name}, not rendered`);
      return found;
    };
    if (v?.emptyDir) mkdirSync(dir, { recursive: true });
    else if (v?.configMap) {
      const data = at(find('ConfigMap', v.configMap.name), 'data') as Record<string, string>;
      writeProjected(dir, data, v.configMap.items, rewrite);
    } else if (v?.secret) {
      const data = at(find('Secret', v.secret.secretName), 'data') as Record<string, string>;
      const decoded = Object.fromEntries(
        Object.entries(data).map(([k, b64]) => [k, Buffer.from(b64, 'base64').toString()]),
      );
      writeProjected(dir, decoded, v.secret.items, (s) => s);
    } else throw new Error(`${c.name}: volume ${m.name} has a type this simulation does not run`);
  }
  return rewrite;
}

/** The container's environment as the kubelet builds it: in order, each $(VAR) from those before. */
function environment(c: Container, rewrite: (s: string) => string): Record<string, string> {
  const env: Record<string, string> = {};
  const expand = (s: string): string =>
    s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, name: string) => env[name] ?? ref);
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field !== undefined && field !== 'metadata.uid')
      throw new Error(`${c.name}: fieldRef ${field} not simulated`);
    env[e.name] = field !== undefined ? FAKE_POD_UID : rewrite(expand(e.value ?? ''));
  }
  return { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

/** Starts one container; `node` is this Node. */
export function startContainer(c: Container, options: PodOptions): RunningContainer {
  const rewrite = containerFs(c, options);
  const env = environment(c, rewrite);
  const expand = (s: string): string =>
    rewrite(s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, n: string) => env[n] ?? ref));
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map(expand);
  if (argv[0] !== 'node') throw new Error(`${c.name}: runs ${argv[0]}, not node`);
  const child = spawn(process.execPath, argv.slice(1), {
    cwd: options.imageRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return { name: c.name, spec: c, child, output: () => out };
}

export function exited(child: ChildProcess, timeoutMs: number): Promise<number | null | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** The port a probe names, as a number. */
export function probePort(c: Container, port: string | number): number {
  if (typeof port === 'number') return port;
  const found = c.ports?.find((p) => p.name === port)?.containerPort;
  if (found === undefined) throw new Error(`${c.name}: no port named ${port}`);
  return found;
}

/** Runs a probe once: true when it passes. */
export async function probeOnce(c: Container, probe: Probe): Promise<boolean> {
  if (probe.httpGet) {
    const url = `http://127.0.0.1:${probePort(c, probe.httpGet.port)}${probe.httpGet.path}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status >= 200 && res.status < 400;
    } catch {
      return false;
    }
  }
  if (probe.tcpSocket) {
    const port = probePort(c, probe.tcpSocket.port);
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
  throw new Error(`${c.name}: a probe this simulation does not run`);
}
