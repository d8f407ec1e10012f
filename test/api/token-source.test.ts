import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_TOKEN_FILE_BYTES, resolveApiToken } from '../../controller/api/token-source.js';

describe('resolveApiToken', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poolpilot-token-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const errorOf = (result: ReturnType<typeof resolveApiToken>): string => {
    assert.ok('error' in result, JSON.stringify(result));
    return result.error;
  };

  it('gives no token when neither variable is set', () => {
    assert.deepEqual(resolveApiToken({}), {});
  });

  it('takes POOLPILOT_API_TOKEN, trimmed', () => {
    assert.deepEqual(resolveApiToken({ POOLPILOT_API_TOKEN: ' abc-123 ' }), { token: 'abc-123' });
  });

  it('reads POOLPILOT_API_TOKEN_FILE, trimming the trailing newline', () => {
    const path = file('token', 'from-file-42\n');
    assert.deepEqual(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: path }), { token: 'from-file-42' });
  });

  it('refuses both at once, naming both', () => {
    const path = file('both', 'x');
    const error = errorOf(resolveApiToken({ POOLPILOT_API_TOKEN: 'y', POOLPILOT_API_TOKEN_FILE: path }));
    assert.match(error, /POOLPILOT_API_TOKEN and POOLPILOT_API_TOKEN_FILE are both set/);
  });

  it('refuses an empty or blank POOLPILOT_API_TOKEN rather than running without a token', () => {
    assert.match(errorOf(resolveApiToken({ POOLPILOT_API_TOKEN: '' })), /POOLPILOT_API_TOKEN is empty/);
    assert.match(errorOf(resolveApiToken({ POOLPILOT_API_TOKEN: ' \n' })), /is empty/);
  });

  it('refuses an empty path, an empty file, a missing file and a directory', () => {
    assert.match(errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: '' })), /set but empty/);
    const empty = file('empty', '\n\n');
    assert.match(errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: empty })), /is empty/);
    const missing = join(dir, 'missing');
    assert.match(
      errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: missing })),
      new RegExp(`cannot read ${missing}: ENOENT`),
    );
    assert.match(errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: dir })), /cannot read .*: EISDIR/);
  });

  it('refuses a file over the size limit without reading it all', () => {
    const big = file('big', 'a'.repeat(MAX_TOKEN_FILE_BYTES + 10));
    assert.match(errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: big })), /larger than 4096 bytes/);
  });

  it('refuses a device or a FIFO unread: the start neither grows nor hangs', () => {
    assert.equal(
      errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: '/dev/zero' })),
      'POOLPILOT_API_TOKEN_FILE: cannot read /dev/zero: not a regular file',
    );
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]); // opening it for reading would wait for a writer for ever
    assert.match(errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: fifo })), /fifo: not a regular file$/);
  });

  it('refuses a token that could not travel in a header, without quoting it', () => {
    for (const bad of ['two words', 'line\nbreak', 'tab\there', 'café']) {
      const error = errorOf(resolveApiToken({ POOLPILOT_API_TOKEN: bad }));
      assert.match(error, /one word/);
      assert.ok(!error.includes(bad), error);
    }
    const path = file('multi', 'first\nsecond\n');
    const error = errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: path }));
    assert.match(error, /one word/);
    assert.ok(!error.includes('first'), error);
  });

  it('reports a read failure by its code', () => {
    const failing = (): Buffer => {
      throw Object.assign(new Error('boom'), { code: 'EACCES' });
    };
    const error = errorOf(resolveApiToken({ POOLPILOT_API_TOKEN_FILE: '/secret' }, failing));
    assert.equal(error, 'POOLPILOT_API_TOKEN_FILE: cannot read /secret: EACCES');
  });
});
