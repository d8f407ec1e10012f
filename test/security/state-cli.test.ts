/**
 * The real `poolpilot run` over a state directory an attacker has planted files in: symlinks to
 * files outside it, a rotated journal name that is a directory or a link to /dev/zero, then a
 * FIFO and a /dev/zero link as state.json. Each start gets ready, writes only inside the
 * directory, says in its log what it refused, and leaves the outside files as they were.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestNas } from '../helpers/test-nas.js';
import type { TestNas } from '../helpers/test-nas.js';
import { seedYaml } from '../helpers/config.js';
import { startCli } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

/** SIGTERM, and the exit code. */
function stop(run: Started): Promise<number | null> {
  return run.stop();
}

describe('poolpilot run over a planted state directory', () => {
  let proc: FakeProcRoot;
  let service: TestNas;
  let dir: string;
  let stateDir: string;
  const outside: Record<string, string> = {
    'outside-state.json': '{"precious": "state"}\n',
    'outside-journal.log': 'precious journal\n',
  };

  before(async () => {
    proc = new FakeProcRoot(0.75); // cache pressure high: the controller shrinks, records, saves
    service = await startTestNas();
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-sec-state-'));
    stateDir = join(dir, 'state');
  });

  after(async () => {
    await service.close();
    proc.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const assertOutsideUntouched = (): void => {
    for (const [name, content] of Object.entries(outside)) {
      assert.equal(readFileSync(join(dir, name), 'utf8'), content, `${name} changed`);
      assert.equal(lstatSync(join(dir, name)).size, Buffer.byteLength(content), `${name} changed size`);
    }
  };

  it('writes nothing outside the directory through planted symlinks, across a restart', async () => {
    for (const [name, content] of Object.entries(outside)) writeFileSync(join(dir, name), content);
    mkdirSync(stateDir);
    symlinkSync(join(dir, 'outside-state.json'), join(stateDir, 'state.json'));
    symlinkSync(join(dir, 'outside-journal.log'), join(stateDir, 'decisions.jsonl'));
    mkdirSync(join(stateDir, 'decisions-1.jsonl'));
    symlinkSync('/dev/zero', join(stateDir, 'decisions-2.jsonl'));
    const config = join(dir, 'policy.yaml');
    writeFileSync(config, seedYaml({ url: service.url, interval: '1s' }));
    const env = { POOLPILOT_PROC_ROOT: proc.dir, POOLPILOT_STATE_DIR: stateDir };

    const first = await startCli(['--config', config], env);
    try {
      assert.ok(await waitFor(() => service.pools.buffers.stats().capacity === 819, 500, 20), 'shrunk');
      const recorded = (): boolean => {
        try {
          const state = readFileSync(join(stateDir, 'state.json'), 'utf8');
          return (
            state.includes('nas/buffers') && readFileSync(join(stateDir, 'decisions.jsonl'), 'utf8') !== ''
          );
        } catch {
          return false;
        }
      };
      assert.ok(await waitFor(recorded, 500, 20), 'the state and the decision were written in the directory');
      assert.equal(await stop(first), 0);
    } finally {
      await stop(first);
    }
    for (const name of ['state.json', 'decisions.jsonl']) {
      assert.ok(lstatSync(join(stateDir, name)).isFile(), `${name} is a regular file now`);
    }
    const log = first.output();
    for (const [name, what] of [
      ['state.json', 'a symbolic link'],
      ['decisions.jsonl', 'a symbolic link'],
      ['decisions-1.jsonl', 'a directory'],
      ['decisions-2.jsonl', 'a symbolic link'],
    ] as const) {
      assert.ok(log.includes(`${join(stateDir, name)}`) && log.includes(what), `the log names ${name}`);
      assert.ok(
        readdirSync(stateDir).some((f) => f.startsWith(`${name}.refused-`)),
        `${name} was moved aside`,
      );
    }
    assert.match(log, /refused: a symbolic link, not a regular file/);
    assertOutsideUntouched();

    // The restart resumes from the files it wrote itself (calm now: only the saved state shrinks).
    proc.setUsed(0.1);
    service.pools.buffers.resize(1024);
    const second = await startCli(['--config', config], env);
    try {
      assert.ok(await waitFor(() => service.pools.buffers.stats().capacity === 819, 500, 20), 'resumed');
      assert.ok(!second.output().includes('refused'), second.output());
    } finally {
      assert.equal(await stop(second), 0);
    }
    assertOutsideUntouched();
  });

  for (const [name, kind, plant] of [
    ['a FIFO', 'isFIFO', (path: string) => execFileSync('mkfifo', [path])],
    ['a symlink to /dev/zero', 'isSymbolicLink', (path: string) => symlinkSync('/dev/zero', path)],
  ] as const) {
    it(`starts clean, and promptly, when state.json is ${name}`, async () => {
      const path = join(stateDir, 'state.json');
      unlinkSync(path);
      plant(path);
      const config = join(dir, 'policy.yaml');
      const run = await startCli(['--config', config], {
        POOLPILOT_PROC_ROOT: proc.dir,
        POOLPILOT_STATE_DIR: stateDir,
      });
      try {
        assert.ok(
          await waitForAsync(async () => (await fetch(`${run.url}/readyz`)).status === 200, 300, 20),
          'ready',
        );
        assert.match(
          run.output(),
          /the saved state is unusable .*state\.json: refused: a (FIFO|symbolic link)/,
        );
        const names = readdirSync(stateDir);
        assert.ok(!names.includes('state.json') || lstatSync(path).isFile(), 'no FIFO or link left in place');
        const aside = names.filter((f) => f.startsWith('state.json.refused-'));
        assert.ok(
          aside.some((f) => lstatSync(join(stateDir, f))[kind]()),
          `moved aside: ${names.join(' ')}`,
        );
      } finally {
        assert.equal(await stop(run), 0);
      }
      assertOutsideUntouched();
    });
  }
});
