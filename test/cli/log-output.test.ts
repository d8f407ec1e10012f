/** Where `poolpilot run` writes its JSON log: a file when asked (or when interactive), else stdout. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { humanLine, openLogOutput } from '../../controller/cli/log-output.js';

describe('the JSON log output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poolpilot-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const collect = (): {
    stdout: string[];
    stderr: string[];
    io: { stdout(s: string): void; stderr(s: string): void };
  } => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, io: { stdout: (s) => void stdout.push(s), stderr: (s) => void stderr.push(s) } };
  };

  it('interactive: JSON to the file, warnings and errors as human lines on stderr', () => {
    const file = join(dir, 'interactive.log');
    const { io, stdout, stderr } = collect();
    const { logger, file: used } = openLogOutput({ level: 'info', interactive: true, file }, io);
    assert.equal(used, file);
    logger.info({ pool: 'buffers' }, 'nas/buffers shrink 1024 -> 819');
    logger.warn({ service: 'nas' }, 'push to nas failed');
    logger.debug('not at this level');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
      ['nas/buffers shrink 1024 -> 819', 'push to nas failed'],
    );
    assert.equal(statSync(file).mode & 0o077, 0);
    assert.deepEqual(stderr, ['warning: push to nas failed\n']);
    assert.deepEqual(stdout, []);
  });

  it('with a file and not interactive: everything to the file, nothing on the console', () => {
    const file = join(dir, 'plain.log');
    const { io, stdout, stderr } = collect();
    const { logger } = openLogOutput({ level: 'info', interactive: false, file }, io);
    logger.error('cannot reach nas');
    assert.match(readFileSync(file, 'utf8'), /"msg":"cannot reach nas"/);
    assert.deepEqual([...stdout, ...stderr], []);
  });

  it('refuses a file it cannot open, at once', () => {
    const { io } = collect();
    assert.throws(
      () => openLogOutput({ level: 'info', interactive: false, file: join(dir, 'missing', 'x.log') }, io),
      /ENOENT/,
    );
  });

  it('turns a JSON log line into a human one', () => {
    assert.equal(humanLine('{"level":50,"msg":"boom"}\n'), 'error: boom\n');
    assert.equal(humanLine('not json'), 'not json\n');
  });
});
