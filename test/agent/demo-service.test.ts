import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDemoService } from '../../examples/demo-service/server.js';
import { repoRoot } from '../helpers/paths.js';

const mainPath = join(repoRoot, 'dist', 'examples', 'demo-service', 'main.js');

/** The part of autocannon's programmatic API used here (it ships no types). */
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
}) => PromiseLike<{ requests: { total: number }; errors: number; non2xx: number }>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Stats {
  service: string;
  pools: { name: string; capacity: number; inUse: number; idle: number; hits: number; misses: number }[];
  load: { eventLoopUtilization: number; eventLoopDelayP99Ms: number };
}

/** Spawns the built demo main and resolves with its URL once it printed its JSON line. */
function spawnDemo(args: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [mainPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL line within 10 s; stderr: ${err}`)), 10_000);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      const line = JSON.parse(out.slice(0, newline)) as { url: string };
      resolve({ child, url: line.url });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code} before printing its URL; stderr: ${err}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function stats(url: string, token?: string): Promise<Stats> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(`${url}/poolpilot/v1/stats`, { headers });
  assert.equal(response.status, 200);
  return (await response.json()) as Stats;
}

describe('demo service (in process)', () => {
  test('serves the three pools with their capacities, and /work uses them', async (t) => {
    const service = await startDemoService({ port: 0 });
    t.after(() => service.close());
    assert.match(service.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const before = await stats(service.url);
    assert.equal(before.service, 'nas');
    assert.deepEqual(
      before.pools.map((p) => [p.name, p.capacity]),
      [
        ['buffers', 1024],
        ['handles', 256],
        ['metadata', 2048],
      ],
    );
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${service.url}/work?ms=1`);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { ms: number }).ms, 1);
    }
    const capped = (await (await fetch(`${service.url}/work?ms=100000`)).json()) as { ms: number };
    assert.equal(capped.ms, 100);
    assert.deepEqual(service.pools.buffers.stats(), {
      name: 'buffers',
      capacity: 1024,
      inUse: 0,
      idle: 1,
      hits: 3,
      misses: 1,
    });
    const buffer = service.pools.buffers.acquire();
    assert.equal(buffer.length, 8 * 1024);
    service.pools.buffers.release(buffer);
  });
});

describe('demo service main (spawned)', () => {
  test('--help prints the usage and exits 0', () => {
    const result = spawnSync(process.execPath, [mainPath, '--help'], { encoding: 'utf8' });
    assert.equal(result.status, 0);
    assert.match(result.stdout, /usage: demo-service/);
  });

  for (const args of [['--port', 'http'], ['--port', '70000'], ['--bogus'], ['extra'], ['--port']]) {
    test(`usage error ${args.join(' ')} exits 2 with the usage on stderr`, () => {
      const result = spawnSync(process.execPath, [mainPath, ...args], { encoding: 'utf8' });
      assert.equal(result.status, 2);
      assert.match(result.stderr, /usage: demo-service/);
      assert.equal(result.stdout, '');
    });
  }

  test('an unreadable token file exits 1', () => {
    const result = spawnSync(process.execPath, [mainPath, '--token-file', '/nonexistent/token'], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /nonexistent/);
  });

  test('prints its URL line, enforces the token file, and exits 0 on SIGTERM', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'poolpilot-demo-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const { child, url } = await spawnDemo(['--port', '0', '--token-file', join(dir, 'token')]);
    t.after(() => child.kill('SIGKILL'));
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${url}/poolpilot/v1/stats`)).status, 401);
    assert.equal((await stats(url, 'file-token')).service, 'nas');
    const started = Date.now();
    child.kill('SIGTERM');
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
    assert.ok(Date.now() - started < 5000);
  });

  test('exits 0 on SIGINT too', async (t) => {
    const { child } = await spawnDemo([]);
    t.after(() => child.kill('SIGKILL'));
    child.kill('SIGINT');
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
  });

  test('load on /work raises the event-loop utilization it reports', async (t) => {
    const { child, url } = await spawnDemo(['--port', '0']);
    t.after(() => child.kill('SIGKILL'));
    await sleep(1200); // let the start-up window pass
    const idle = await stats(url);
    const run = autocannon({ url: `${url}/work?ms=5`, connections: 8, duration: 2.5 });
    await sleep(1500);
    const loaded = await stats(url);
    const result = await run;
    assert.equal(result.errors, 0);
    assert.equal(result.non2xx, 0);
    assert.ok(result.requests.total > 50, `only ${result.requests.total} requests`);
    assert.ok(
      loaded.load.eventLoopUtilization > 0.5 &&
        loaded.load.eventLoopUtilization > idle.load.eventLoopUtilization,
      `utilization idle ${idle.load.eventLoopUtilization}, loaded ${loaded.load.eventLoopUtilization}`,
    );
    // Requests run one at a time on the loop: a single buffer serves them all.
    const buffers = (await stats(url)).pools.find((p) => p.name === 'buffers');
    assert.equal(buffers?.misses, 1);
    assert.ok((buffers?.hits ?? 0) > 50);
    child.kill('SIGTERM');
    assert.equal((await exitOf(child)).code, 0);
  });
});
