/** `poolpilot validate FILE`, called in-process: exit codes and what it prints where. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateCommand } from '../../controller/cli/validate.js';
import { presetPath } from '../../policies/presets.js';
import { fixtures } from '../helpers/paths.js';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await validateCommand(args, {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
  });
  return { code, stdout, stderr };
}

describe('poolpilot validate', () => {
  it('a valid file: "ok <policy name>" on stdout, exit 0', async () => {
    assert.deepEqual(await run(presetPath('seed')), { code: 0, stdout: 'ok seed\n', stderr: '' });
    assert.deepEqual(await run(presetPath('linear')), { code: 0, stdout: 'ok linear\n', stderr: '' });
  });

  it('an invalid file: one FILE:LINE:COL: message line per problem on stderr, exit 1', async () => {
    const file = fixtures('config', 'duplicate-names.yaml');
    const { code, stdout, stderr } = await run(file);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.deepEqual(stderr.split('\n'), [
      `${file}:10:17: services[0].pools[1].name: duplicate pool name "buffers" (also used by services[0].pools[0])`,
      `${file}:11:11: services[1].name: duplicate service name "nas" (also used by services[0])`,
      '',
    ]);
  });

  it('an unreadable file: exit 1 with the reason at 1:1', async () => {
    const file = fixtures('config', 'does-not-exist.yaml');
    const { code, stdout, stderr } = await run(file);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(
      stderr,
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: cannot read the file: ENOENT`),
    );
    assert.equal(stderr.trimEnd().split('\n').length, 1);
  });

  for (const [what, args] of [
    ['no file', []],
    ['two files', ['a.yaml', 'b.yaml']],
    ['an unknown flag', ['--strict', 'a.yaml']],
  ] as const) {
    it(`usage error (${what}): usage on stderr, exit 2`, async () => {
      const { code, stdout, stderr } = await run(...args);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, /^poolpilot validate: .+\nUsage: poolpilot validate FILE\n/);
    });
  }

  for (const flag of ['--help', '-h']) {
    it(`${flag}: usage on stdout, exit 0`, async () => {
      const { code, stdout, stderr } = await run(flag);
      assert.equal(code, 0);
      assert.equal(stderr, '');
      assert.match(stdout, /^Usage: poolpilot validate FILE\n/);
    });
  }

  it('names an unknown flag in one short line', async () => {
    const { stderr } = await run('--bogus', 'a.yaml');
    assert.equal(stderr.split('\n')[0], "poolpilot validate: Unknown option '--bogus'");
  });

  it('"--" ends the options', async () => {
    assert.deepEqual(await run('--', presetPath('seed')), { code: 0, stdout: 'ok seed\n', stderr: '' });
  });
});
