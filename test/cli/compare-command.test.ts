/**
 * `poolpilot compare`: one trace through several configurations, one JSON line per configuration
 * and pool with its changes and capacity figures, or a table; clear errors for a bad config
 * (FILE:LINE:COL) or trace line (FILE:LINE).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareCommand } from '../../controller/cli/compare.js';
import { NAS_POOLS, policyYaml } from '../helpers/config.js';
import { cliPath } from '../helpers/paths.js';

const pools = NAS_POOLS.slice(0, 1); // buffers: base 1024, min 64, max 8192

async function run(args: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const code = await compareCommand(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

const lines = (...ticks: object[]) => ticks.map((t) => JSON.stringify(t)).join('\n') + '\n';

describe('poolpilot compare', () => {
  let dir = '';
  const file = (name: string) => join(dir, name);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'poolpilot-compare-'));
    const services = [{ name: 'nas', url: 'http://127.0.0.1:8080', pools }];
    await writeFile(file('slow.yaml'), policyYaml({ name: 'slow', shrinkEvery: '1h', services }));
    await writeFile(file('fast.yaml'), policyYaml({ name: 'fast', shrinkEvery: '1s', services }));
    await writeFile(file('bad.yaml'), 'apiVersion: poolpilot/v1\npolicy:\n  name: [\n');
    // Cache high for 10 s (one trace line a second), then calm for 10 s.
    const ticks = Array.from({ length: 21 }, (_, i) => ({ t: i * 1000, cache: i < 10 ? 0.75 : 0.1 }));
    await writeFile(file('trace.jsonl'), `{"start":"2026-12-05T04:00:00.000Z"}\n` + lines(...ticks));
    await writeFile(file('bad-trace.jsonl'), lines(ticks[0]!) + '{"t": 1000, "cache": 7}\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints one JSON line per configuration and pool', async () => {
    const slow = file('slow.yaml');
    const fast = file('fast.yaml');
    const { code, stdout, stderr } = await run([
      '--config',
      slow,
      '--config',
      fast,
      '--trace',
      file('trace.jsonl'),
    ]);
    assert.equal(stderr, '');
    assert.equal(code, 0);
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      rows.map((r) => Object.keys(r)),
      Array(2).fill([
        'config',
        'service',
        'pool',
        'changes',
        'shrinks',
        'grows',
        'minCapacity',
        'maxCapacity',
        'meanCapacity',
        'secondsAtMin',
      ]),
    );
    // slow shrinks once (1024 -> 819) at t 0 and holds for 20 s.
    assert.deepEqual(rows[0], {
      config: slow,
      service: 'nas',
      pool: 'buffers',
      changes: 1,
      shrinks: 1,
      grows: 0,
      minCapacity: 819,
      maxCapacity: 1024,
      meanCapacity: 819,
      secondsAtMin: 0,
    });
    // fast shrinks every second for 10 s: 1024 x 0.8^k, floored.
    const fastRow = rows[1] as Record<string, number | string>;
    assert.equal(fastRow.config, fast);
    assert.equal(fastRow.shrinks, 10);
    assert.equal(fastRow.grows, 0);
    assert.equal(fastRow.maxCapacity, 1024);
    assert.equal(fastRow.minCapacity, 108); // 1024 -> 819 -> 655 -> ... -> 136 -> 108
    assert.ok((fastRow.meanCapacity as number) < 819);
  });

  it('counts the time at min', async () => {
    const services = [{ name: 'nas', url: 'http://127.0.0.1:8080', pools: [{ ...pools[0]!, min: 800 }] }];
    await writeFile(file('floor.yaml'), policyYaml({ name: 'floor', shrinkEvery: '1s', services }));
    const { code, stdout } = await run(['--config', file('floor.yaml'), '--trace', file('trace.jsonl')]);
    assert.equal(code, 0);
    const row = JSON.parse(stdout) as Record<string, number>;
    // 1024 -> 819 at 0, -> 800 (clamped) at 1 s, then at min until 20 s.
    assert.equal(row.minCapacity, 800);
    assert.equal(row.secondsAtMin, 19);
    assert.equal(row.changes, 2);
  });

  it('prints a readable table with --table', async () => {
    const args = [
      '--config',
      file('slow.yaml'),
      '--config',
      file('fast.yaml'),
      '--trace',
      file('trace.jsonl'),
    ];
    const { code, stdout } = await run([...args, '--table']);
    assert.equal(code, 0);
    const rows = stdout.trim().split('\n');
    assert.equal(rows.length, 3);
    assert.match(
      rows[0] as string,
      /^config\s+service\s+pool\s+changes\s+shrinks\s+grows\s+min\s+max\s+mean\s+secs@min$/,
    );
    assert.match(rows[1] as string, /slow\.yaml\s+nas\s+buffers\s+1\s+1\s+0\s+819\s+1024\s+819\s+0$/);
  });

  it('locates a bad config at FILE:LINE:COL and prints nothing else', async () => {
    const args = [
      '--config',
      file('slow.yaml'),
      '--config',
      file('bad.yaml'),
      '--trace',
      file('trace.jsonl'),
    ];
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, new RegExp(`^${file('bad.yaml').replace(/[.]/g, '\\.')}:\\d+:\\d+: `, 'm'));
  });

  it('locates a bad trace line at FILE:LINE', async () => {
    const args = ['--config', file('slow.yaml'), '--trace', file('bad-trace.jsonl')];
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, new RegExp(`^${file('bad-trace.jsonl').replace(/[.]/g, '\\.')}:2: "cache" must be`));
  });

  it('has --help and usage errors, through the bin', () => {
    const help = spawnSync(process.execPath, [cliPath, 'compare', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: poolpilot compare --config FILE --config FILE/);
    const missing = spawnSync(process.execPath, [cliPath, 'compare', '--config', 'x.yaml'], {
      encoding: 'utf8',
    });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /missing --trace FILE/);
    const main = spawnSync(process.execPath, [cliPath, '--help'], { encoding: 'utf8' });
    assert.match(main.stdout, /compare --config A --config B/);
  });
});
