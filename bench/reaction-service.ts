/**
 * Reaction time of the `service` cache source beside node pressure, in the same run: from the
 * moment a service's container is squeezed (its stats' `memory` block crosses the band) to the
 * moment it receives the shrink PUT, against `poolpilot run` in a child process (`interval: 1s`,
 * `fastPath: 100ms`) over loopback; and the controller's CPU at rest in each arm.
 *
 * The service is a real agent (bench/lib/bench-agent.ts: fastify, the agent plugin, one pool) in
 * this process, its `memory` block set by the bench, the same in every arm. Arms:
 * - `node`: the `meminfo` source over a fake proc root, 10 % -> 75 % used (the path of reaction.ts);
 * - `service-near`: `[meminfo, service]`, the service at 0.55 -> 0.90 of its limit (within the
 *   fast poll's margin of `high` 0.7, so its memory is read at the fast path's cadence);
 * - `service-far`: the same from 0.20 (outside the margin: read at ticks only, the alternative
 *   without a fast poll for a sudden squeeze);
 * - `service-always`: from 0.20 with POOLPILOT_SERVICE_POLL_MARGIN=1 (every service read at
 *   every fast-path sample, the alternative that ignores the margin).
 * After the trials each arm rests `--rest-s` seconds at its calm level and the controller's CPU
 * (utime + stime from /proc) over that window is reported.
 *
 * One JSON object per line on stdout. Usage:
 * `node dist/bench/reaction-service.js [--trials N] [--far-trials N] [--rest-s S]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { policyYaml } from '../test/helpers/config.js';
import type { MemoryStats } from '../agent/plugin.js';
import { BenchAgent } from './lib/bench-agent.js';
import { CliChild } from './lib/cli-child.js';
import { FakeProcRoot } from './lib/fake-proc.js';
import { clockTicksPerSecond, readUsage } from './lib/proc-usage.js';
import { emit, note, round, rounded, summarize } from './lib/stats.js';

const BENCH = 'reaction-service';
const GOAL_P99_MS = 250;
const LIMIT = 1024 * 1024 * 1024;

interface Arm {
  readonly name: 'node' | 'service-near' | 'service-far' | 'service-always';
  readonly sources: readonly string[];
  /** Calm and squeezed share of the limit the service reports (undefined: no memory block). */
  readonly calm?: number;
  readonly squeezed?: number;
  readonly margin?: string;
  readonly trials: number;
  /** How long to stay calm before each squeeze, and a random extra up to `jitterMs`. */
  readonly calmMs: number;
  readonly jitterMs: number;
}

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '40' },
    'far-trials': { type: 'string', default: '5' },
    'rest-s': { type: 'string', default: '20' },
  },
});
const trials = Number(values.trials);
const farTrials = Number(values['far-trials']);
const restS = Number(values['rest-s']);
const base = 1_000_000_000;

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'controller', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'poolpilot-reaction-service-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const fake = new FakeProcRoot(join(work, 'proc'), join(root, 'test', 'fixtures', 'proc', 'real'));
const nodeCalm = fake.render(0.1);
const nodePressured = fake.render(0.75);

const memory = (share: number) => ({
  workingSetBytes: LIMIT,
  unreclaimableBytes: Math.round(share * LIMIT),
  limitBytes: LIMIT,
  pressure: 0,
});

/** The bench's side of the agent: the memory block it reports, and how often it was asked. */
interface Reported {
  memory: MemoryStats | undefined;
  statsRequests: number;
}

function setCalm(arm: Arm, service: Reported): void {
  fake.write(nodeCalm);
  service.memory = arm.calm === undefined ? undefined : memory(arm.calm);
}

function squeeze(arm: Arm, service: Reported): void {
  if (arm.squeezed === undefined) fake.write(nodePressured);
  else service.memory = memory(arm.squeezed);
}

async function runArm(arm: Arm): Promise<void> {
  const service: Reported = { memory: undefined, statsRequests: 0 };
  const agent = await BenchAgent.start('bench', 'content', base, () => {
    service.statsRequests++;
    return service.memory;
  });
  setCalm(arm, service);
  const configPath = join(work, `${arm.name}.yaml`);
  writeFileSync(
    configPath,
    policyYaml({
      name: `reaction-${arm.name}`,
      interval: '1s',
      fastPath: '100ms',
      staleAfter: '1m',
      onMissing: 'hold',
      signals: { cache: arm.sources, psiSaturation: 10, delayLimitMs: 100 },
      services: [{ name: 'bench', url: agent.url, pools: [{ name: 'content', base, min: 1, max: base }] }],
    }),
  );
  const env = arm.margin === undefined ? {} : { POOLPILOT_SERVICE_POLL_MARGIN: arm.margin };
  const controller = new CliChild({ cli, configPath, procRoot: fake.dir, env });
  const reactions: number[] = [];
  let timeouts = 0;
  let notShrinks = 0;
  try {
    await controller.ready();
    for (let i = 0; i < arm.trials; i++) {
      setCalm(arm, service);
      await sleep(arm.calmMs + Math.random() * arm.jitterMs);
      const heard = agent.nextResize(3000);
      squeeze(arm, service);
      const t0 = performance.now();
      const resize = await heard;
      if (resize === undefined) timeouts++;
      else reactions.push(resize.at - t0);
      if (resize !== undefined && !(resize.event.capacity < resize.event.previous)) notShrinks++;
    }
    setCalm(arm, service);
    await sleep(2000);
    const hz = clockTicksPerSecond();
    const statsBefore = service.statsRequests;
    const before = readUsage(controller.pid);
    const t0 = performance.now();
    await sleep(restS * 1000);
    const after = readUsage(controller.pid);
    const seconds = (performance.now() - t0) / 1000;
    const s = summarize(reactions);
    emit({
      bench: BENCH,
      arm: arm.name,
      what: 'squeeze -> shrink PUT received, interval 1s, fastPath 100ms',
      unit: 'ms',
      ...rounded(s, 1),
      trials: arm.trials,
      timeouts,
      notShrinks,
      unexpectedResizes: agent.unexpected,
      restCpuPercent: round(((after.cpuTicks - before.cpuTicks) / hz / seconds) * 100, 2),
      restStatsPerSecond: round((service.statsRequests - statsBefore) / seconds, 1),
      pass: s.n === arm.trials && s.p99 <= GOAL_P99_MS,
    });
  } finally {
    await controller.stop();
    await agent.stop();
  }
}

const fast = { calmMs: 300, jitterMs: 100 };
const arms: Arm[] = [
  { name: 'node', sources: ['meminfo'], trials, ...fast },
  { name: 'service-near', sources: ['meminfo', 'service'], calm: 0.55, squeezed: 0.9, trials, ...fast },
  {
    name: 'service-always',
    sources: ['meminfo', 'service'],
    calm: 0.2,
    squeezed: 0.9,
    margin: '1',
    trials,
    ...fast,
  },
  // Read at ticks only while calm: stay calm over a tick, then squeeze at a random phase of it.
  {
    name: 'service-far',
    sources: ['meminfo', 'service'],
    calm: 0.2,
    squeezed: 0.9,
    trials: farTrials,
    calmMs: 1500,
    jitterMs: 1000,
  },
];
note(`${BENCH}: ${trials} trials per fast arm, ${farTrials} for service-far, ${restS} s at rest per arm`);
for (const arm of arms) await runArm(arm);
