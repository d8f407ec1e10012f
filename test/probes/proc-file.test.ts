import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcFile } from '../../probes/proc-file.js';
import { fixtures } from '../helpers/paths.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'poolpilot-proc-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('reads a real captured file whole, growing a small buffer (vmstat)', () => {
  const path = fixtures('proc', 'real', 'vmstat');
  const file = new ProcFile(path, { initialSize: 64 });
  const read = file.read();
  file.close();
  assert.equal(read.text, readFileSync(path, 'latin1'));
  assert.match(read.text ?? '', /^workingset_refault_file \d+$/m);
});

test('a missing file is undefined with a reason and an ENOENT code, never a throw', () => {
  const file = new ProcFile(fixtures('proc', 'real', 'no-such-file'));
  const read = file.read();
  assert.equal(read.text, undefined);
  assert.match(read.reason ?? '', /no-such-file: not found/);
  assert.equal(read.text === undefined ? read.code : undefined, 'ENOENT');
});

test('a directory is a failure with a reason, not a throw', () => {
  const read = new ProcFile(fixtures('proc', 'real')).read();
  assert.equal(read.text, undefined);
  assert.match(read.reason ?? '', /EISDIR/);
});

test('the kept-open fd sees a rewritten file, shorter and longer than before', (t) => {
  const path = join(tempDir(t), 'f');
  writeFileSync(path, 'first version, fairly long\n');
  const file = new ProcFile(path, { initialSize: 16 });
  t.after(() => file.close());
  assert.equal(file.read().text, 'first version, fairly long\n');
  writeFileSync(path, 'short\n');
  assert.equal(file.read().text, 'short\n');
  const long = 'x'.repeat(1000) + '\n';
  writeFileSync(path, long);
  assert.equal(file.read().text, long);
});

test('a file that vanishes reads as missing, then fresh again when it comes back', (t) => {
  const path = join(tempDir(t), 'f');
  writeFileSync(path, 'one\n');
  const file = new ProcFile(path);
  t.after(() => file.close());
  assert.equal(file.read().text, 'one\n');
  unlinkSync(path);
  const gone = file.read();
  assert.equal(gone.text, undefined);
  assert.match(gone.reason ?? '', /not found/);
  writeFileSync(path, 'two\n');
  assert.equal(file.read().text, 'two\n');
});

test('a file replaced by rename is reopened', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'f');
  writeFileSync(path, 'old\n');
  const file = new ProcFile(path);
  t.after(() => file.close());
  assert.equal(file.read().text, 'old\n');
  writeFileSync(join(dir, 'f.new'), 'new\n');
  renameSync(join(dir, 'f.new'), path);
  assert.equal(file.read().text, 'new\n');
});

test('a file above maxSize is a failure with a reason', (t) => {
  const path = join(tempDir(t), 'f');
  writeFileSync(path, 'y'.repeat(100));
  const read = new ProcFile(path, { initialSize: 8, maxSize: 64 }).read();
  assert.equal(read.text, undefined);
  assert.match(read.reason ?? '', /larger than 64 bytes/);
});

test('close() then read() opens the file again', (t) => {
  const path = join(tempDir(t), 'f');
  writeFileSync(path, 'a\n');
  const file = new ProcFile(path);
  assert.equal(file.read().text, 'a\n');
  file.close();
  file.close();
  assert.equal(file.read().text, 'a\n');
  file.close();
});
