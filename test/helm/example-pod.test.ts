/**
 * The example pod, run here: its init container writes the sample files, the NAS service and the
 * sidecar start from the image's files with the rendered commands, environment and volumes, both
 * pass their readiness probes, the sidecar reaches the NAS service with the Secret's token, the
 * API answers with its own token only, state lands in the state volume, and SIGTERM stops both
 * with exit 0.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { waitForAsync } from '../helpers/wait.js';
import { at, only, render } from './manifests.js';
import type { Rendered } from './manifests.js';
import { container, podTemplate } from './pod-spec.js';
import type { PodTemplate } from './pod-spec.js';
import { buildImageRoot, exited, probeOnce, startContainer } from './pod-sim.js';
import type { PodOptions, RunningContainer } from './pod-sim.js';
import { skipWithoutRenderer } from './renderer.js';

const skip = skipWithoutRenderer;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

let work: string;
let imageFiles: string[] = [];
let r: Rendered;
let pod: PodTemplate;
let options: PodOptions;
const running: RunningContainer[] = [];
let nasPort = 0;
let apiPort = 0;

const secret = (key: string): string =>
  Buffer.from(String(at(only(r, 'Secret'), 'data', key)), 'base64').toString();
const logs = (): string => running.map((c) => `--- ${c.name}\n${c.output()}`).join('\n');

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'poolpilot-helm-pod-'));
  if (skip) return;
  const imageRoot = join(work, 'app');
  imageFiles = buildImageRoot(imageRoot);
  [nasPort, apiPort] = [await freePort(), await freePort()];
  r = render({
    values: [
      {
        example: { enabled: true, port: nasPort, sampleFiles: 30, sampleFileBytes: 2048 },
        sidecar: { port: apiPort, logLevel: 'warn' },
        config: {
          policy: { interval: '200ms' },
          services: [
            {
              name: 'nas',
              url: 'http://127.0.0.1:{{ .Values.example.port }}',
              mode: 'enforce',
              tokenFile: '/var/run/secrets/poolpilot/service-token',
              pools: [{ name: 'buffers', base: 1024, min: 64, max: 8192 }],
            },
          ],
        },
      },
    ],
  });
  pod = podTemplate(only(r, 'Deployment'));
  options = { pod, objects: r.manifests, imageRoot, work: join(work, 'pod') };
});

after(async () => {
  for (const c of running) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the example pod, run as processes', () => {
  test('the image holds every file the chart runs', { skip }, () => {
    const referenced = JSON.stringify(pod.spec).match(/\/app\/[\w./-]+\.js/g) ?? [];
    assert.ok(referenced.length >= 3, referenced.join(', '));
    for (const path of referenced)
      assert.ok(imageFiles.includes(path.slice('/app/'.length)), `${path} is not in the image`);
    // The controller serves its dashboard from files next to its code: they must ship too.
    if (existsSync(join(repoRoot, 'controller', 'dashboard'))) {
      for (const f of readdirSync(join(repoRoot, 'controller', 'dashboard'))) {
        assert.ok(
          imageFiles.includes(`controller/dashboard/${f}`),
          `controller/dashboard/${f} is not in the image: list controller/dashboard in package.json "files"`,
        );
      }
    }
  });

  test('the init container writes the sample files and exits 0', { skip }, async () => {
    const init = startContainer(container(pod.spec, 'sample-files'), options);
    assert.equal(await exited(init.child, 20_000), 0, init.output());
    assert.equal(readdirSync(join(work, 'pod', 'volumes', 'data', 'd0000')).length, 30);
  });

  test('both containers start and pass their readiness and liveness probes', { skip }, async () => {
    for (const c of pod.spec.containers) running.push(startContainer(c, options));
    for (const { spec: c, child } of running) {
      const ready = await waitForAsync(
        async () =>
          child.exitCode !== null ||
          (c.readinessProbe !== undefined && (await probeOnce(c, c.readinessProbe))),
        150,
        100,
      );
      assert.ok(ready && child.exitCode === null, `${c.name} never became ready\n${logs()}`);
      assert.ok(
        c.livenessProbe && (await probeOnce(c, c.livenessProbe)),
        `${c.name} fails its liveness probe`,
      );
    }
  });

  test("the sidecar reads the NAS service's pools with the Secret's service token", { skip }, async () => {
    const healthy = await waitForAsync(
      async () => {
        const status = (await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/status`)).json()) as {
          services: { name: string; healthy: boolean; pools: { name: string; capacity: number }[] }[];
        };
        const nas = status.services.find((s) => s.name === 'nas');
        return nas?.healthy === true && nas.pools.some((p) => p.name === 'buffers' && p.capacity > 0);
      },
      100,
      100,
    );
    assert.ok(healthy, logs());
    const bare = await fetch(`http://127.0.0.1:${nasPort}/poolpilot/v1/stats`);
    assert.equal(bare.status, 401, 'the NAS agent routes want the token');
    const withToken = await fetch(`http://127.0.0.1:${nasPort}/poolpilot/v1/stats`, {
      headers: { authorization: `Bearer ${secret('service-token')}` },
    });
    assert.equal(withToken.status, 200);
  });

  test('the NAS service serves the sample files', { skip }, async () => {
    const res = await fetch(`http://127.0.0.1:${nasPort}/d0000/f000007.bin`);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 2048);
  });

  test("the API's mutating routes take the API token from the Secret, and only it", { skip }, async () => {
    const pause = (token?: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${apiPort}/api/v1/pause`, {
        method: 'POST',
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
    assert.equal((await pause()).status, 401);
    assert.equal((await pause(secret('service-token'))).status, 401);
    assert.equal((await pause(secret('api-token'))).status, 200);
  });

  test('the controller keeps its state in the state volume', { skip }, async () => {
    const stateDir = join(work, 'pod', 'volumes', 'poolpilot-state');
    assert.ok(
      await waitForAsync(async () => readdirSync(stateDir).length > 0, 100, 50),
      `nothing in ${stateDir}`,
    );
  });

  test('SIGTERM stops both containers with exit 0 within the grace period', { skip }, async () => {
    const graceMs = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    for (const c of running) c.child.kill('SIGTERM');
    for (const c of running) assert.equal(await exited(c.child, graceMs), 0, `${c.name}\n${c.output()}`);
  });
});
