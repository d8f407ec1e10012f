import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simulateCommand } from '../../controller/cli/simulate.js';
import { loadConfigText } from '../../policies/loader.js';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { seedRules } from '../decide/configs.js';
import { NAS_POOLS, policyYaml } from '../helpers/config.js';

const CONFIG = policyYaml({
  name: 'sim-test',
  onMissing: 'hold',
  growPer: '1m',
  services: [{ name: 'nas', url: 'http://127.0.0.1:8080', pools: NAS_POOLS.slice(0, 1) }],
});

const SHRINK_0 =
  '{"t":0,"service":"nas","pool":"buffers","from":1024,"to":819,"action":"shrink","rule":0,' +
  '"reason":"cache 0.75 > 0.70 (high): shrink 1024 x 0.8 -> 819"}';
const SHRINK_5 =
  '{"t":5000,"service":"nas","pool":"buffers","from":819,"to":655,"action":"shrink","rule":0,' +
  '"reason":"cache 0.75 > 0.70 (high): shrink 819 x 0.8 -> 655"}';

/** Runs the command in-process and returns what it printed. */
async function run(args: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const code = await simulateCommand(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

const lines = (...ticks: object[]) => ticks.map((t) => JSON.stringify(t)).join('\n') + '\n';

describe('poolpilot simulate', () => {
  let dir = '';
  let config = '';
  const file = (name: string) => join(dir, name);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'poolpilot-sim-'));
    config = file('config.yaml');
    await writeFile(config, CONFIG);
    const ticks = [0, 1000, 2000, 3000, 4000, 5000].map((t) => ({ t, cache: 0.75, load: 0.4 }));
    await writeFile(file('shrink.jsonl'), lines(...ticks));
    await writeFile(file('bad.jsonl'), lines(ticks[0]!) + '\n{"t": 1000, "cache": 7}\n{"t": 2000}\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints one JSON line per capacity change and exits 0', async () => {
    const { code, stdout, stderr } = await run(['--config', config, '--trace', file('shrink.jsonl')]);
    assert.equal(stderr, '');
    assert.equal(code, 0);
    assert.equal(stdout, `${SHRINK_0}\n${SHRINK_5}\n`);
  });

  it('takes --flag=value too, and prints nothing for a trace without changes', async () => {
    await writeFile(
      file('calm.jsonl'),
      lines({ t: 0, cache: 0.5, load: 0.4 }, { t: 1000, cache: 0.5, load: 0.4 }),
    );
    const { code, stdout } = await run([`--config=${config}`, `--trace=${file('calm.jsonl')}`]);
    assert.equal(code, 0);
    assert.equal(stdout, '');
  });

  it('stops at a bad line with FILE:LINE: message and exit 1, keeping what it printed', async () => {
    const trace = file('bad.jsonl');
    const { code, stdout, stderr } = await run(['--config', config, '--trace', trace]);
    assert.equal(code, 1);
    assert.equal(stdout, `${SHRINK_0}\n`);
    assert.equal(stderr, `${trace}:3: "cache" must be between 0 and 1, got 7\n`);
  });

  it('exits 1 on a trace it cannot read', async () => {
    const trace = file('absent.jsonl');
    const { code, stderr } = await run(['--config', config, '--trace', trace]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`^${trace.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read the trace: ENOENT`),
    );
  });

  it('exits 1 with FILE:LINE:COL errors on an invalid configuration', async () => {
    const bad = file('bad.yaml');
    await writeFile(bad, CONFIG.replace('factor: 0.8', 'factor: 8'));
    const { code, stdout, stderr } = await run(['--config', bad, '--trace', file('shrink.jsonl')]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.ok(stderr.startsWith(`${bad}:`), stderr);
    assert.match(stderr, /^[^:]+:\d+:\d+: /);
  });

  it('prints its usage on stdout for --help, exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await run([flag]);
      assert.equal(code, 0);
      assert.match(stdout, /^Usage: poolpilot simulate --config FILE --trace FILE/);
      assert.equal(stderr, '');
    }
  });

  const usageErrors: ReadonlyArray<readonly string[]> = [
    [],
    ['--config', 'c.yaml'],
    ['--trace', 't.jsonl'],
    ['--config', 'c.yaml', '--trace', 't.jsonl', 'extra'],
    ['--config', 'c.yaml', '--trace', 't.jsonl', '--speed', '2'],
    ['--config'],
  ];
  for (const args of usageErrors) {
    it(`is a usage error, exit 2: ${JSON.stringify(args)}`, async () => {
      const { code, stdout, stderr } = await run(args);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, /^poolpilot simulate: .+\nUsage: poolpilot simulate/);
    });
  }

  it('replays a long trace line by line', async () => {
    const big = file('big.jsonl');
    const parts: string[] = [];
    for (let t = 0; t < 100_000; t++)
      parts.push(`{"t":${t * 100},"cache":${t % 600 < 300 ? 0.75 : 0.2},"load":0.9}`);
    await writeFile(big, parts.join('\n') + '\n');
    const { code, stdout } = await run(['--config', config, '--trace', big]);
    assert.equal(code, 0);
    const changes = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { to: number; from: number });
    assert.ok(changes.length > 100);
    assert.ok(changes.every((c) => c.to >= 64 && c.to <= 8192 && c.to !== c.from));
  });

  it('loads the bundled seed preset into the article rules and replays it', async (t) => {
    const seed = join(repoRoot, 'policies', 'presets', 'seed.yaml');
    if (!existsSync(seed)) return t.skip('policies/presets/seed.yaml not there yet');
    const loaded = loadConfigText(await readFile(seed, 'utf8'), seed);
    assert.ok(loaded.ok, JSON.stringify(loaded));
    assert.deepEqual(loaded.config.policy.rules, seedRules);
    const { code, stdout } = await run(['--config', seed, '--trace', file('shrink.jsonl')]);
    assert.equal(code, 0);
    const first = stdout
      .split('\n')
      .slice(0, 3)
      .map((l) => JSON.parse(l) as { pool: string; to: number });
    assert.deepEqual(
      first.map((c) => [c.pool, c.to]),
      [
        ['buffers', 819],
        ['handles', 204],
        ['metadata', 1638],
      ],
    );
  });

  it('runs the same through the built CLI', (t) => {
    if (!existsSync(cliPath)) return t.skip('the CLI is not built yet');
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [cliPath, 'simulate', ...args], { encoding: 'utf8' });
    const ok = cli('--config', config, '--trace', file('shrink.jsonl'));
    assert.equal(ok.stderr, '');
    assert.equal(ok.status, 0);
    assert.equal(ok.stdout, `${SHRINK_0}\n${SHRINK_5}\n`);
    const bad = cli('--config', config, '--trace', file('bad.jsonl'));
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, `${SHRINK_0}\n`);
    assert.equal(bad.stderr, `${file('bad.jsonl')}:3: "cache" must be between 0 and 1, got 7\n`);
    const usage = cli();
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /Usage: poolpilot simulate/);
    const help = cli('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: poolpilot simulate/);
  });
});
