/**
 * SIGTERM ends `poolpilot run` within POOLPILOT_SHUTDOWN_TIMEOUT_MS plus a second, whatever holds
 * it: a service that hangs its pushes and stats, an open event stream, a half-sent request and an
 * idle keep-alive connection. The real CLI, spawned; the clients attack it over loopback.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { cliPath } from '../helpers/paths.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitFor } from '../helpers/wait.js';
import { startCtlAgent } from './ctl-agent.js';
import { policyYaml } from './ctl-harness.js';

const SHUTDOWN_TIMEOUT_MS = 1000;
/** The goal is timeout + 1 s; the bound is generous for a loaded 2-core machine. */
const EXIT_BOUND_MS = 5000;

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('poolpilot run on SIGTERM', () => {
  it('exits within the shutdown timeout while a service, a stream and clients hang', async (t) => {
    const agent = await startCtlAgent({
      service: 'nas',
      pools: { buffers: 100 },
      load: 0.9, // the policy wants 150: a push, which the service leaves hanging
      answerStats: 1,
      hangPushes: true,
    });
    t.after(() => agent.close());
    const proc = new FakeProcRoot(0.1);
    const dir = mkdtempSync(join(tmpdir(), 'poolpilot-ctl-shutdown-'));
    const sockets: Socket[] = [];
    const keepAlive = new Agent({ keepAlive: true });
    const children: ChildProcess[] = [];
    t.after(() => {
      for (const s of sockets) s.destroy();
      keepAlive.destroy();
      for (const c of children)
        if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
      proc.remove();
      rmSync(dir, { recursive: true, force: true });
    });
    const config = join(dir, 'policy.yaml');
    writeFileSync(config, policyYaml([{ name: 'nas', url: agent.url, pools: ['buffers'] }]));
    const spawned = spawn(process.execPath, [cliPath, 'run', '--config', config], {
      env: {
        ...process.env,
        POOLPILOT_PORT: '0',
        POOLPILOT_LOG_LEVEL: 'warn',
        POOLPILOT_PROC_ROOT: proc.dir,
        POOLPILOT_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(spawned);
    const out: string[] = [];
    const base = await new Promise<string>((resolve, reject) => {
      createInterface({ input: spawned.stdout }).on('line', (line) => {
        out.push(line);
        const m = /dashboard (http:\/\/\S+)\//.exec(line);
        if (m?.[1]) resolve(m[1]);
      });
      spawned.once('exit', (code) => reject(new Error(`poolpilot run exited ${code}`)));
    });
    const port = Number(new URL(base).port);

    // The service now holds a push and a stats request open.
    assert.ok(
      await waitFor(() => agent.hangingPushes >= 1 && agent.statsRequests >= 2, 500, 20),
      'a push and a stats request hang',
    );
    // An open event stream.
    const stream = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = get(`${base}/api/v1/events`, resolve);
      req.on('error', reject);
      req.on('socket', (s) => sockets.push(s));
    });
    assert.equal(stream.statusCode, 200);
    stream.resume();
    // A request whose body never ends.
    const half = connect(port, '127.0.0.1');
    sockets.push(half);
    half.on('error', () => undefined);
    await new Promise((r) => half.once('connect', r));
    half.write(
      'PUT /api/v1/services/nas/pools/buffers/override HTTP/1.1\r\nHost: x\r\n' +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"capa',
    );
    // An idle keep-alive connection.
    const health = await new Promise<IncomingMessage>((resolve, reject) => {
      get(`${base}/healthz`, { agent: keepAlive }, resolve).on('error', reject);
    });
    health.resume();
    assert.equal(health.statusCode, 200);

    const started = performance.now();
    spawned.kill('SIGTERM');
    const bound = new Promise<'bound'>((resolve) =>
      setTimeout(() => resolve('bound'), EXIT_BOUND_MS).unref(),
    );
    const result = await Promise.race([exitOf(spawned), bound]);
    const elapsed = Math.round(performance.now() - started);
    t.diagnostic(`exited ${elapsed} ms after SIGTERM (timeout ${SHUTDOWN_TIMEOUT_MS} ms)`);
    assert.notEqual(result, 'bound', `still running ${EXIT_BOUND_MS} ms after SIGTERM`);
    assert.equal(result, 0, 'exit code 0 (documented: 0 with a warning when it had to abandon)');
    await new Promise((r) => setImmediate(r));
    assert.ok(
      out.some((l) => l.includes('shutdown deadline passed: abandoning')),
      `the log says what was abandoned:\n${out.join('\n')}`,
    );
  });
});
