/**
 * The end-to-end check: the real controller process beside a real NAS process and seven
 * hostile services, with hostile clients on its API and a booby-trapped state directory. Under
 * all of it the controller stays small and answers its liveness probe, the healthy NAS is still
 * steered, no secret of a peer reaches the status, and nothing is written outside the state
 * directory.
 */
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSampleTree } from '../../examples/nas-service/sample-tree.js';
import { HostileClients } from '../helpers/hostile-clients.js';
import { HOSTILE_BEHAVIOURS, hostileFleetYaml } from '../helpers/hostile-peers.js';
import { HostileServer, SECRET } from '../helpers/hostile-server.js';
import { CliChild } from '../../bench/lib/cli-child.js';
import { cliPath } from '../helpers/paths.js';
import { residentMemory, startNasProcess } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitForAsync } from '../helpers/wait.js';

const TOKEN = 'operator-token-e2e-0123456789';
const MB = 1024 * 1024;
/** The bound on the controller's resident memory under attack. */
const RSS_LIMIT = 200 * MB;
/**
 * The kubelet's default liveness-probe timeout: a /healthz slower than this restarts the
 * sidecar. The goal is 200 ms; this test asserts the outcome an operator would see
 * (no restart), and bench/hostile.ts measures the latency itself.
 */
const LIVENESS_TIMEOUT_MS = 1000;
const SHUTDOWN_MS = 2000;

function listing(dir: string): string {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((f) => `${f}:${statSync(join(dir, f)).size}`)
    .join('\n');
}

describe('the controller under hostile services, clients and state files', () => {
  let dir: string;
  let proc: FakeProcRoot;
  let peers: HostileServer;
  let nas: Started;
  let controller: CliChild;
  let api = '';
  let clients: HostileClients;
  const outside = (): string => join(dir, 'outside');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-hostile-'));
    proc = new FakeProcRoot(0.1);
    mkdirSync(outside());
    writeFileSync(join(outside(), 'victim.txt'), 'do not touch\n');
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    symlinkSync(join(outside(), 'victim.txt'), join(stateDir, 'decisions.jsonl'));
    symlinkSync('/dev/zero', join(stateDir, 'state.json'));
    await generateSampleTree(join(dir, 'files'), { files: 50, sizeBytes: 4096 });
    peers = new HostileServer();
    await peers.start();
    nas = await startNasProcess(join(dir, 'files'));
    const config = join(dir, 'policy.yaml');
    writeFileSync(config, hostileFleetYaml(nas.url, peers.url));
    controller = new CliChild({
      cli: cliPath,
      configPath: config,
      procRoot: proc.dir,
      startTimeoutMs: 30_000,
      env: {
        POOLPILOT_STATE_DIR: stateDir,
        POOLPILOT_API_TOKEN: TOKEN,
        POOLPILOT_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS),
      },
    });
    await controller.ready();
    api = controller.apiUrl;
    clients = new HostileClients(api);
  });

  after(async () => {
    clients?.close();
    await controller?.stop();
    await nas?.stop();
    await peers?.stop();
    proc?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays small and alive, steers the healthy service, leaks nothing and writes only its own files', async (t) => {
    const outsideBefore = listing(outside());
    // Liveness probes all through the attack, each with the kubelet's default timeout.
    const probes: number[] = [];
    let probing = true;
    const liveness = (async () => {
      while (probing) {
        const t0 = performance.now();
        const res = await fetch(`${api}/healthz`, {
          signal: AbortSignal.timeout(LIVENESS_TIMEOUT_MS),
        }).catch(() => undefined);
        probes.push(res?.status === 200 ? performance.now() - t0 : Infinity);
        await res?.arrayBuffer();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    clients.drip(50);
    await clients.wrongTokens(100);
    // Every hostile service has been asked five times: five ticks under attack.
    assert.ok(
      await waitForAsync(async () => HOSTILE_BEHAVIOURS.every((b) => peers.asked(b).length >= 5), 300, 100),
      `not every hostile service was asked: ${JSON.stringify(HOSTILE_BEHAVIOURS.map((b) => [b, peers.asked(b).length]))}`,
    );

    // Pressure: the healthy NAS is shrunk as the policy says, hostile neighbours or not.
    const nasBuffers = async (): Promise<number | undefined> => {
      const res = await fetch(`${nas.url}/poolpilot/v1/stats`);
      const stats = (await res.json()) as { pools: { name: string; capacity: number }[] };
      return stats.pools.find((p) => p.name === 'buffers')?.capacity;
    };
    // 1024 at base; a little more if a busy machine raised the NAS's load and grew it first.
    const before = (await nasBuffers()) ?? 1024;
    proc.setUsed(0.8);
    assert.ok(
      await waitForAsync(
        async () => ((await nasBuffers()) ?? Infinity) <= Math.round(before * 0.8),
        100,
        100,
      ),
      `the healthy NAS was not shrunk from ${before}`,
    );

    // A good token is served whatever the wrong ones did.
    const pause = await fetch(`${api}/api/v1/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(pause.status, 200, 'the operator is locked out by failed attempts');

    const status = await (await fetch(`${api}/api/v1/status`)).text();
    probing = false;
    await liveness;

    const rss = residentMemory(controller.pid);
    assert.ok(rss.peak < RSS_LIMIT, `peak RSS ${(rss.peak / MB).toFixed(1)} MB >= 200 MB`);
    const failed = probes.filter((ms) => ms === Infinity).length;
    t.diagnostic(
      `peak RSS ${(rss.peak / MB).toFixed(1)} MB; ${probes.length} liveness probes, slowest ${Math.max(...probes).toFixed(1)} ms`,
    );
    // Wrong tokens past the failed-attempt limit are refused as such, not served as 401 for ever.
    assert.ok(
      (clients.wrongTokenAnswers.get(429) ?? 0) > 0,
      `wrong tokens: ${JSON.stringify([...clients.wrongTokenAnswers])}`,
    );
    assert.equal(failed, 0, `${failed} of ${probes.length} liveness probes failed or took over 1 s`);

    const parsed = JSON.parse(status) as { services: { name: string; healthy: boolean }[] };
    const health = new Map(parsed.services.map((s) => [s.name, s.healthy]));
    assert.equal(health.get('nas'), true);
    for (const b of ['big', 'gzip', 'drip', 'silent', 'redirect'] as const)
      assert.equal(health.get(b), false, `${b} is reported healthy`);
    assert.ok(!status.includes(SECRET), 'a peer body reached the status');
    assert.ok(!status.includes('service-token-'), 'a service token reached the status');

    const metrics = await (await fetch(`${api}/metrics`)).text();
    assert.ok(!metrics.includes('invented_'), 'invented pool names became series');

    assert.equal(listing(outside()), outsideBefore, 'something was written outside the state directory');
    assert.equal(readFileSync(join(outside(), 'victim.txt'), 'utf8'), 'do not touch\n');
    assert.ok(!controller.output().includes(TOKEN), 'the API token was logged');
    assert.ok(!controller.output().includes('service-token-'), 'a service token was logged');
  });

  it('ends on SIGTERM within the shutdown deadline and a second, with hostile peers still attached', async () => {
    const t0 = performance.now();
    const code = await controller.stop(SHUTDOWN_MS + 5000);
    const ms = performance.now() - t0;
    assert.notEqual(code, null, `the controller had to be killed after ${ms.toFixed(0)} ms`);
  });
});
