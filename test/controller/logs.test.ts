/**
 * Structured logs: one pino line per decision, carrying its summary, at `info`, so that
 * `POOLPILOT_LOG_LEVEL` decides whether decisions are logged at all. In process over a captured
 * stream, then through `poolpilot run` itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseRunOptions } from '../../controller/cli/run-options.js';
import { UsageError } from '../../controller/cli/usage-error.js';
import type { DecisionRecord } from '../../controller/decision-log.js';
import { startTestNas } from '../helpers/test-nas.js';
import type { TestNas } from '../helpers/test-nas.js';
import { seedYaml } from '../helpers/config.js';
import { cliPath } from '../helpers/paths.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitForAsync } from '../helpers/wait.js';
import { fakeController } from '../helpers/fake-controller.js';

/** What a decision's line says: `nas/buffers shrink 1024 -> 819: <summary>`. */
const summaryOf = (d: DecisionRecord | Decision): string =>
  `${d.service}/${d.pool} ${d.action} ${d.from} -> ${d.to}: ${d.reason}`;

type Decision = Pick<
  DecisionRecord,
  'id' | 'service' | 'pool' | 'action' | 'from' | 'to' | 'reason' | 'outcome'
>;
type Line = { level: number; msg: string; decision?: string } & Record<string, unknown>;

/** Every line a pino logger at the level `POOLPILOT_LOG_LEVEL` names wrote in two ticks. */
async function logOfTwoTicks(
  level: string,
): Promise<{ raw: string; lines: Line[]; decisions: DecisionRecord[] }> {
  let raw = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw += chunk.toString('utf8');
      done();
    },
  });
  const { controller, clock } = fakeController({
    load: null,
    with: { logger: pino({ level: parseRunOptions([], { POOLPILOT_LOG_LEVEL: level }).logLevel }, sink) },
  });
  controller.start();
  await controller.tick();
  clock.advance(5000);
  await controller.tick();
  await controller.stop();
  const lines = raw
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  return { raw, lines, decisions: [...controller.decisions(100)] };
}

describe('decision log lines', () => {
  it('writes one info line per decision with its summary, each on one line', async () => {
    const { raw, lines, decisions } = await logOfTwoTicks('info');
    assert.equal(decisions.length, 6, 'three pools shrank twice');
    assert.ok(raw.endsWith('\n'));
    const decisionLines = lines.filter((l) => l.decision !== undefined);
    assert.equal(decisionLines.length, decisions.length, 'one line per decision, no more');
    for (const d of decisions) {
      const mine = decisionLines.filter((l) => l.decision === d.id);
      assert.equal(mine.length, 1, d.id);
      const [line] = mine;
      assert.equal(line?.level, 30, 'info');
      assert.equal(line?.msg, summaryOf(d));
      assert.ok(d.reason.length > 0 && line?.msg.includes(d.reason), 'the summary of the decision');
      assert.deepEqual(
        [line?.service, line?.pool, line?.from, line?.to],
        [d.service, d.pool, d.from, d.to],
        'the fields to filter on',
      );
    }
    const physical = raw.split('\n').filter((l) => l.includes('"decision":'));
    assert.equal(physical.length, decisions.length, 'one physical line each');
  });

  it('follows POOLPILOT_LOG_LEVEL: none below info, still one each at debug and trace', async () => {
    for (const level of ['warn', 'error', 'silent']) {
      const { lines, decisions } = await logOfTwoTicks(level);
      assert.equal(decisions.length, 6);
      assert.deepEqual(
        lines.filter((l) => l.decision !== undefined),
        [],
        level,
      );
    }
    for (const level of ['debug', 'trace']) {
      const { lines, decisions } = await logOfTwoTicks(level);
      assert.equal(lines.filter((l) => l.decision !== undefined).length, decisions.length, level);
    }
  });

  it('reads the level from --log-level over POOLPILOT_LOG_LEVEL, and refuses an unknown one', () => {
    assert.equal(parseRunOptions([], {}).logLevel, 'info');
    assert.equal(parseRunOptions([], { POOLPILOT_LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.equal(
      parseRunOptions(['--log-level', 'error'], { POOLPILOT_LOG_LEVEL: 'debug' }).logLevel,
      'error',
    );
    assert.throws(
      () => parseRunOptions([], { POOLPILOT_LOG_LEVEL: 'verbose' }),
      (err: unknown) => err instanceof UsageError && /log level must be one of .*"verbose"/.test(err.message),
    );
  });
});

describe('poolpilot run logs', () => {
  let proc: FakeProcRoot;
  let service: TestNas;
  let dir: string;

  before(async () => {
    proc = new FakeProcRoot(0.75);
    service = await startTestNas({ token: 'agent-secret' });
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-logs-'));
    writeFileSync(
      join(dir, 'policy.yaml'),
      seedYaml({ url: service.url, interval: '10s', token: 'agent-secret' }),
    );
  });
  after(async () => {
    await service.close();
    proc.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI until its first decisions are settled, stops it, and returns them and its stdout. */
  async function runOnce(level: string): Promise<{ stdout: string; decisions: Decision[] }> {
    const child = spawn(process.execPath, [cliPath, 'run', '--config', join(dir, 'policy.yaml')], {
      env: { ...process.env, POOLPILOT_PORT: '0', POOLPILOT_PROC_ROOT: proc.dir, POOLPILOT_LOG_LEVEL: level },
    });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    let decisions: Decision[] = [];
    try {
      assert.ok(await waitForAsync(async () => /dashboard (http:\S+)\//.test(stdout), 500, 20), 'started');
      const base = /dashboard (http:\S+)\//.exec(stdout)?.[1] ?? '';
      const settled = await waitForAsync(async () => {
        const res = await fetch(`${base}/api/v1/decisions?limit=10`);
        decisions = ((await res.json()) as { decisions: Decision[] }).decisions;
        return decisions.length === 3 && decisions.every((d) => d.outcome !== 'pending');
      });
      assert.ok(settled, 'the first tick decided');
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
    return { stdout, decisions }; // all of it: the process has exited
  }

  it('at info, prints each decision once, with its summary, as JSON on stdout', async () => {
    const { stdout, decisions } = await runOnce('info');
    const json = stdout.split('\n').filter((l) => l.startsWith('{'));
    for (const d of decisions) {
      const lines = json.filter((l) => l.includes(`"decision":"${d.id}"`));
      assert.equal(lines.length, 1, `${d.id}: ${stdout}`);
      assert.equal((JSON.parse(lines[0] ?? '') as Line).msg, summaryOf(d));
    }
  });

  it('at warn, prints none', async () => {
    const { stdout } = await runOnce('warn');
    assert.doesNotMatch(stdout, /"decision":/);
  });
});
