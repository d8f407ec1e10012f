#!/usr/bin/env node
/**
 * `npm run scenario`: issue 12's proof on this machine's kernel. A memory cgroup with a limit, the
 * reference NAS inside it over a file set larger than the limit can cache, steady small-file load
 * from outside, and after a calm phase a neighbour in the same cgroup that takes a large share of
 * the limit for a while and leaves. The same timeline for each arm: static-large, static-small,
 * adaptive (poolpilot with the `nas` preset), and in the full form adaptive-seed (the seed preset).
 *
 *   node dist/bench/scenario/main.js [--quick] [--out DIR] [--arms a,b,...] [--set NAME=VALUE ...]
 *
 * `--set` changes one figure of the plan (see PLAN_KNOBS in plan.ts: limitMiB, files, neighbourMiB...).
 *
 * Writes result.json, report.md and one SVG chart per arm to DIR (default test-output/scenario),
 * and prints one JSON line per arm and one for the goals on stdout. Needs root and a writable
 * memory cgroup; without them it says why and exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runArm } from './arm.js';
import { findCgroupParent, MemoryCgroup } from './cgroup.js';
import { allArms, makeArms, makePlan, parseKnobs } from './plan.js';
import type { ArmResult } from './records.js';
import { checkGoals, markdownReport } from './report.js';
import { armChart } from './svg.js';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const started = performance.now();
const note = (line: string): void =>
  void process.stderr.write(`scenario ${((performance.now() - started) / 1000).toFixed(1)}s: ${line}\n`);

const cleanups = new Set<() => Promise<void>>();
async function cleanAll(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    await fn().catch(() => undefined);
  }
}
const onCleanup = (fn: () => Promise<void>): (() => void) => {
  cleanups.add(fn);
  return () => void cleanups.delete(fn);
};
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    note(`${signal}: cleaning up`);
    void cleanAll().finally(() => process.exit(130));
  });
}

async function writeTree(
  parent: { dir: string; version: 'v1' | 'v2' },
  root: string,
  files: number,
  bytes: number,
): Promise<void> {
  const setup = MemoryCgroup.create(parent, `poolpilot-scenario-${process.pid}-setup`, 8 * 1024 ** 3);
  const unregister = onCleanup(() => setup.remove());
  try {
    const child = spawn(
      'sh',
      setup.joinArgs([
        process.execPath,
        join(dist, 'bench/scenario/tree-child.js'),
        root,
        String(files),
        String(bytes),
      ]),
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    if (code !== 0) throw new Error(`writing the file set failed (exit ${code})`);
    spawnSync('sync'); // dirty pages are written back, so that dropping the cgroup drops them
  } finally {
    await setup.remove();
    unregister();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      arms: { type: 'string' },
      set: { type: 'string', multiple: true },
      'files-dir': { type: 'string' },
    },
  });
  const knobs = parseKnobs(values.set ?? []);
  const parent = findCgroupParent();
  if (!parent.ok) {
    note(`skipped: ${parent.reason}`);
    process.stdout.write(`${JSON.stringify({ scenario: 'skipped', reason: parent.reason })}\n`);
    return 0;
  }
  const plan = makePlan(values.quick === true, knobs);
  const wanted = values.arms?.split(',');
  const every = allArms(plan);
  // --arms runs the named arms in the order given.
  const arms =
    wanted === undefined ? makeArms(plan) : wanted.flatMap((name) => every.filter((a) => a.name === name));
  if (wanted !== undefined && arms.length !== wanted.length) {
    throw new Error(
      `--arms: unknown arm in ${values.arms}; arms: ${allArms(plan)
        .map((a) => a.name)
        .join(', ')}`,
    );
  }
  const out = resolve(values.out ?? 'test-output/scenario');
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), `poolpilot-scenario-${process.pid}-`));
  onCleanup(async () => rmSync(work, { recursive: true, force: true }));
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(work, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  // A kept file set (--files-dir) saves writing and deleting it on each run: deleting 40,000
  // files takes this machine's disk half a minute or more.
  const kept = values['files-dir'] === undefined ? undefined : resolve(values['files-dir']);
  const treeRoot = kept ?? join(work, 'files');
  const marker = join(treeRoot, `.complete-${plan.files}x${plan.fileBytes}`);
  note(`cgroups under ${parent.dir} (${parent.version})`);
  if (kept === undefined || !existsSync(marker)) {
    if (kept !== undefined) rmSync(kept, { recursive: true, force: true });
    mkdirSync(treeRoot, { recursive: true });
    const written = performance.now();
    await writeTree(parent, treeRoot, plan.files, plan.fileBytes);
    writeFileSync(marker, '');
    const took = ((performance.now() - written) / 1000).toFixed(1);
    note(`${plan.files} files of ${plan.fileBytes} bytes written in ${took} s`);
  }

  const help = spawnSync(process.execPath, [join(dist, 'examples/nas-service/main.js'), '--help'], {
    encoding: 'utf8',
  });
  const nasHasContent = help.stdout.includes('--content-max-file');
  const results: ArmResult[] = [];
  for (const arm of arms) {
    if (interrupted) break;
    note(`arm ${arm.name}`);
    const result = await runArm(
      { plan, parent, treeRoot, workDir: work, dist, tokenFile, token, nasHasContent, onCleanup, log: note },
      arm,
    );
    results.push(result);
    const { summary, oomKills, restarts } = result;
    process.stdout.write(
      `${JSON.stringify({ arm: arm.name, ...summary, oomKills, restarts, neighbour: result.neighbour })}\n`,
    );
    writeFileSync(join(out, `${arm.name}.svg`), armChart(result, plan));
  }
  const goals = checkGoals(results);
  const command = `node dist/bench/scenario/main.js ${process.argv.slice(2).join(' ')}`.trim();
  writeFileSync(
    join(out, 'result.json'),
    JSON.stringify({ command, plan, arms: results, goals }, null, 1) + '\n',
  );
  writeFileSync(join(out, 'report.md'), markdownReport(plan, results, goals, command));
  process.stdout.write(`${JSON.stringify({ goals })}\n`);
  note(`wrote ${out}/result.json, report.md and ${results.length} charts`);
  return 0;
}

main()
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      note(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  )
  .finally(() => cleanAll().then(() => note('cleaned up')));
