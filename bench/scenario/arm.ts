/**
 * Runs one arm of the scenario: a fresh memory cgroup with the plan's limit, the NAS inside it
 * (supervised), poolpilot beside it for the adaptive arms, the closed-loop load from outside, and
 * the neighbour in the cgroup after the calm phase. Records one {@link SecondRecord} a second and
 * every decision; removes everything it made before it returns, also when it fails.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { CliChild } from '../lib/cli-child.js';
import type { CgroupVersion } from './cgroup.js';
import { MemoryCgroup } from './cgroup.js';
import { writeControllerConfig } from './controller-config.js';
import { ClosedLoopLoad, warmUp } from './load.js';
import { Neighbour } from './neighbour.js';
import type { Arm, Plan } from './plan.js';
import { armSeconds, neighbourStartS } from './plan.js';
import type { ArmResult, DecisionLike, SecondRecord } from './records.js';
import { summarizeArm } from './records.js';
import { NasSupervisor } from './supervisor.js';
import { sampleFilePath } from '../../examples/nas-service/sample-tree.js';

/** What every arm shares. */
export interface ArmContext {
  readonly plan: Plan;
  readonly parent: { readonly dir: string; readonly version: CgroupVersion };
  readonly treeRoot: string;
  readonly workDir: string;
  readonly dist: string;
  readonly tokenFile: string;
  readonly token: string;
  /** The NAS takes `--content-max-file` (it has the content pool). */
  readonly nasHasContent: boolean;
  /** Registers a cleanup that a SIGINT runs too; returns the function that unregisters it. */
  readonly onCleanup: (fn: () => Promise<void>) => () => void;
  readonly log: (line: string) => void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const filePath = (i: number): string => `/${sampleFilePath(i)}`;

export async function runArm(ctx: ArmContext, arm: Arm): Promise<ArmResult> {
  const { plan, log } = ctx;
  const t = plan.timeline;
  const group = MemoryCgroup.create(
    ctx.parent,
    `poolpilot-scenario-${process.pid}-${arm.name}`,
    plan.limitBytes,
  );
  const t0 = performance.now();
  const nas = new NasSupervisor(
    {
      nasMain: join(ctx.dist, 'examples/nas-service/main.js'),
      group,
      root: ctx.treeRoot,
      port: await freePort(),
      tokenFile: ctx.tokenFile,
      token: ctx.token,
      extraArgs: ctx.nasHasContent ? [`--content-max-file=${plan.fileBytes}`] : [],
      log: (line) => log(`[${arm.name}] ${line}`),
    },
    t0,
  );
  let controller: CliChild | undefined;
  let load: ClosedLoopLoad | undefined;
  let neighbour: Neighbour | undefined;
  const cleanup = async (): Promise<void> => {
    await load?.stop().catch(() => undefined);
    neighbour?.kill();
    await controller?.stop(2000).catch(() => undefined);
    await nas.stop(2000).catch(() => undefined);
    await group.remove();
  };
  const unregister = ctx.onCleanup(cleanup);
  const decisions = new Map<string, DecisionLike>();
  const notes: string[] = [];
  try {
    await nas.start();
    const first = await nas.stats();
    const poolNames = first?.pools.map((p) => p.name) ?? [];
    if (!poolNames.includes('content'))
      notes.push('the NAS has no content pool: arms differ only in buffers, handles, metadata');
    if (arm.kind === 'static') {
      for (const [pool, capacity] of Object.entries(arm.capacities)) {
        if (poolNames.includes(pool)) await nas.put(pool, capacity);
      }
      nas.setCapacities(
        Object.fromEntries(Object.entries(arm.capacities).filter(([p]) => poolNames.includes(p))),
      );
    } else {
      const configPath = join(ctx.workDir, `${arm.name}.yaml`);
      writeControllerConfig(plan, configPath, arm.preset, nas.url, ctx.tokenFile, poolNames);
      controller = new CliChild({
        cli: join(ctx.dist, 'controller/cli/main.js'),
        configPath,
        procRoot: '/proc',
      });
      await controller.ready();
    }

    load = new ClosedLoopLoad({
      url: () => nas.url,
      path: filePath,
      files: plan.files,
      fileBytes: plan.fileBytes,
      hotFiles: plan.hotFiles,
      hotShare: plan.hotShare,
      connections: plan.connections,
      timeoutMs: plan.timeoutMs,
    });
    const warmStart = performance.now();
    await warmUp(nas.url, filePath, plan.hotFiles, plan.fileBytes);
    log(`[${arm.name}] hot set read once in ${((performance.now() - warmStart) / 1000).toFixed(1)} s`);
    const seconds: SecondRecord[] = [];
    const total = armSeconds(t);
    const startAt = neighbourStartS(t);
    const loadStart = performance.now();
    load.start();
    let lastRefaults: number | undefined = group.read().refaults;
    for (let s = 1; s <= total; s++) {
      const due = loadStart + s * 1000;
      if (s - 1 === startAt) {
        neighbour = new Neighbour(join(ctx.dist, 'bench/scenario/neighbour-child.js'), group, loadStart);
        neighbour.start(plan.neighbourBytes, t.rampS * 1000, t.holdS * 1000);
      }
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const second = load.take();
      const cg = group.read();
      const stats = await nas.stats();
      const refaultsNow = cg.refaults;
      seconds.push({
        t: s,
        ok: second.ok,
        failed: second.failed,
        failures: second.failures,
        latenciesMs: second.latenciesMs,
        usageBytes: cg.usageBytes,
        workingSetBytes: cg.workingSetBytes,
        unreclaimableBytes: cg.unreclaimableBytes,
        fileBytes: cg.fileBytes,
        refaults: refaultsNow !== undefined && lastRefaults !== undefined ? refaultsNow - lastRefaults : null,
        oomKills: cg.oomKills,
        restarts: nas.restarts,
        nasUp: stats !== undefined,
        capacities: Object.fromEntries((stats?.pools ?? []).map((p) => [p.name, p.capacity])),
        poolBytes: Object.fromEntries(
          (stats?.pools ?? []).flatMap((p) => (p.bytes === undefined ? [] : [[p.name, p.bytes]])),
        ),
        nasMemory: stats?.memory ?? null,
        neighbour: neighbour?.state(s) ?? 'none',
      });
      lastRefaults = refaultsNow;
      if (controller !== undefined && s % 5 === 0) await collectDecisions(controller, decisions);
    }
    await load.stop();
    load = undefined;
    if (controller !== undefined) await collectDecisions(controller, decisions);
    const final = group.read();
    return summarizeArm({
      arm,
      plan,
      seconds,
      decisions: [...decisions.values()].sort((a, b) => a.at.localeCompare(b.at)),
      loadStartEpochMs: Date.now() - (performance.now() - loadStart),
      oomKills: final.oomKills,
      restarts: nas.restarts,
      failedStarts: nas.failedStarts,
      neighbour: neighbour?.summary(),
      notes,
    });
  } finally {
    log(`[${arm.name}] cleaning up`);
    await cleanup();
    unregister();
    log(`[${arm.name}] cleaned up`);
  }
}

/** Adds the controller's latest decisions (up to 1,000) to `into`, by id. */
async function collectDecisions(controller: CliChild, into: Map<string, DecisionLike>): Promise<void> {
  try {
    const res = await request(`${controller.apiUrl}/api/v1/decisions?limit=1000`);
    const body = (await res.body.json()) as { decisions?: DecisionLike[] };
    for (const d of body.decisions ?? []) into.set(d.id, d);
  } catch {
    // the next collection gets them
  }
}
