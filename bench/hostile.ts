/**
 * Hostile peers: the controller's liveness-probe latency and memory while seven hostile services
 * (an 80 MB body, a gzip bomb, a drip, a hang, a redirect, a pool-name storm, a 4 MiB Prometheus
 * page) and hostile API clients (50 dripped request bodies, wrong tokens in a row) work on it,
 * against a calm run of the same controller over the healthy NAS alone, measured in the same run.
 *
 * Each arm: `poolpilot run` as a child beside a real `poolpilot-nas` child, `interval: 1s`,
 * `fastPath: 100ms`; this process GETs /healthz every 50 ms (1 s timeout: the kubelet's default;
 * a timeout counts as failed) and reads the controller's VmHWM (peak RSS) at the end.
 * Goals (the hardening issue): peak RSS under 200 MB and /healthz within 200 ms under attack.
 *
 * One JSON object per line on stdout; a missed goal is reported, not an error. 1 MB = 2^20 bytes.
 * Usage: `node dist/bench/hostile.js [--quick] [--seconds N]`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateSampleTree } from '../examples/nas-service/sample-tree.js';
import { HostileClients } from '../test/helpers/hostile-clients.js';
import { hostileFleetYaml } from '../test/helpers/hostile-peers.js';
import { HostileServer } from '../test/helpers/hostile-server.js';
import { residentMemory, startNasProcess } from '../test/helpers/processes.js';
import { CliChild } from './lib/cli-child.js';
import { FakeProcRoot } from './lib/fake-proc.js';
import { emit, note, round, rounded, summarize } from './lib/stats.js';

const BENCH = 'hostile';
const GOAL_RSS_PEAK_MB = 200;
const GOAL_HEALTHZ_MAX_MS = 200;
const MB = 1024 * 1024;

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, seconds: { type: 'string' } },
});
const seconds = Number(values.seconds ?? (values.quick ? 10 : 30));
if (!Number.isSafeInteger(seconds) || seconds < 2) throw new RangeError(`--seconds must be an integer >= 2`);

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'controller', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'poolpilot-hostile-bench-'));

interface ArmResult {
  readonly healthzMs: ReturnType<typeof rounded>;
  readonly healthzFailed: number;
  readonly rssPeakMB: number;
}

async function arm(name: 'calm' | 'hostile'): Promise<ArmResult> {
  const dir = join(work, name);
  mkdirSync(join(dir, 'proc'), { recursive: true });
  const fake = new FakeProcRoot(join(dir, 'proc'), join(root, 'test', 'fixtures', 'proc', 'real'));
  fake.setUsed(0.1);
  await generateSampleTree(join(dir, 'files'), { files: 50, sizeBytes: 4096 });
  const nas = await startNasProcess(join(dir, 'files'));
  const peers = name === 'hostile' ? new HostileServer() : undefined;
  await peers?.start();
  const configPath = join(dir, 'policy.yaml');
  writeFileSync(configPath, hostileFleetYaml(nas.url, peers?.url));
  const controller = new CliChild({
    cli,
    configPath,
    procRoot: fake.dir,
    env: { POOLPILOT_API_TOKEN: 'bench-token', POOLPILOT_STATE_DIR: join(dir, 'state') },
  });
  let clients: HostileClients | undefined;
  try {
    await controller.ready();
    if (name === 'hostile') {
      clients = new HostileClients(controller.apiUrl);
      clients.drip(50);
    }
    const latencies: number[] = [];
    let failed = 0;
    const end = performance.now() + seconds * 1000;
    let probe = 0;
    while (performance.now() < end) {
      if (clients !== undefined && probe++ % 40 === 0) void clients.wrongTokens(20);
      const t0 = performance.now();
      const res = await fetch(`${controller.apiUrl}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(
        () => undefined,
      );
      if (res?.status === 200) latencies.push(performance.now() - t0);
      else failed++;
      await res?.arrayBuffer();
      await sleep(50);
    }
    return {
      healthzMs: rounded(summarize(latencies), 2),
      healthzFailed: failed,
      rssPeakMB: round(residentMemory(controller.pid).peak / MB, 1),
    };
  } finally {
    clients?.close();
    await controller.stop();
    await nas.stop();
    await peers?.stop();
  }
}

try {
  note(`${BENCH}: calm arm, ${seconds} s`);
  const calm = await arm('calm');
  emit({ bench: BENCH, name: 'calm', what: 'the healthy NAS alone', seconds, ...calm });
  note(`${BENCH}: hostile arm, ${seconds} s`);
  const hostile = await arm('hostile');
  emit({
    bench: BENCH,
    name: 'hostile',
    what: 'the NAS beside 7 hostile services and hostile clients',
    seconds,
    ...hostile,
  });
  emit({
    bench: BENCH,
    name: 'summary',
    rssPeakMB: hostile.rssPeakMB,
    calmRssPeakMB: calm.rssPeakMB,
    rssRatio: round(hostile.rssPeakMB / calm.rssPeakMB, 2),
    healthzP99Ms: hostile.healthzMs.p99,
    healthzMaxMs: hostile.healthzMs.max,
    calmHealthzP99Ms: calm.healthzMs.p99,
    healthzP99Ratio: round(hostile.healthzMs.p99 / calm.healthzMs.p99, 2),
    healthzFailed: hostile.healthzFailed,
    goals: { rssPeakMB: GOAL_RSS_PEAK_MB, healthzMaxMs: GOAL_HEALTHZ_MAX_MS },
    pass: {
      rss: hostile.rssPeakMB < GOAL_RSS_PEAK_MB,
      healthz: hostile.healthzFailed === 0 && hostile.healthzMs.max <= GOAL_HEALTHZ_MAX_MS,
    },
    node: process.version,
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
