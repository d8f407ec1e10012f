import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  ATOMIC_WRITE_FAILED,
  AtomicWriteError,
  readJsonFile,
  removeStaleTempFiles,
  writeFileAtomic,
} from '../../controller/state/atomic-file.js';
import { tempDir } from './fixtures.js';

const isRoot = process.getuid?.() === 0;

describe('writeFileAtomic', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it('creates and then replaces a file, leaving no temporary file', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'first');
    await writeFileAtomic(path, Buffer.from('second'));
    assert.equal(await readFile(path, 'utf8'), 'second');
    assert.deepEqual(await readdir(dir), ['state.json']);
  });

  it('keeps the old target and removes its temporary file when the rename fails', async () => {
    const path = join(dir, 'state.json');
    await mkdir(path); // a non-empty directory cannot be renamed over
    await writeFile(join(path, 'keep'), 'kept');
    const err = await writeFileAtomic(path, 'new').then(
      () => assert.fail('the write should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof AtomicWriteError);
    assert.equal(err.code, ATOMIC_WRITE_FAILED);
    assert.equal(err.step, 'rename');
    assert.match(err.message, /state\.json: atomic write failed at rename/);
    assert.deepEqual(await readdir(dir), ['state.json']);
    assert.equal(await readFile(join(path, 'keep'), 'utf8'), 'kept');
  });

  it('fails at open, creating nothing, when the parent directory has vanished', async () => {
    const parent = join(dir, 'gone');
    await mkdir(parent);
    await rm(parent, { recursive: true });
    await assert.rejects(writeFileAtomic(join(parent, 'state.json'), 'x'), { step: 'open' });
    assert.deepEqual(await readdir(dir), []);
  });

  it(
    'leaves the target untouched in a read-only directory',
    { skip: isRoot && 'root ignores modes' },
    async () => {
      const path = join(dir, 'state.json');
      await writeFileAtomic(path, 'old');
      await chmod(dir, 0o500);
      try {
        await assert.rejects(writeFileAtomic(path, 'new'), { step: 'open' });
      } finally {
        await chmod(dir, 0o700);
      }
      assert.equal(await readFile(path, 'utf8'), 'old');
      assert.deepEqual(await readdir(dir), ['state.json']);
    },
  );

  it('lets concurrent writers each land whole', async () => {
    const path = join(dir, 'state.json');
    const bodies = Array.from({ length: 20 }, (_, i) => String(i).repeat(10_000));
    await Promise.all(bodies.map((b) => writeFileAtomic(path, b)));
    assert.ok(bodies.includes(await readFile(path, 'utf8')));
    assert.deepEqual(await readdir(dir), ['state.json']);
  });
});

describe('removeStaleTempFiles', () => {
  it('removes the temporary files of that target only', async () => {
    const { dir, remove } = await tempDir();
    try {
      await writeFile(join(dir, '.state.json.123.abcdef.tmp'), '{"trunc');
      await writeFile(join(dir, '.other.json.123.abcdef.tmp'), '');
      await writeFile(join(dir, 'state.json'), '{}');
      assert.deepEqual(await removeStaleTempFiles(join(dir, 'state.json')), ['.state.json.123.abcdef.tmp']);
      assert.deepEqual((await readdir(dir)).sort(), ['.other.json.123.abcdef.tmp', 'state.json']);
    } finally {
      await remove();
    }
  });
});

describe('readJsonFile', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  async function read(content: string | Buffer, maxBytes?: number) {
    const path = join(dir, 'f.json');
    await writeFile(path, content);
    return { path, result: await readJsonFile(path, maxBytes === undefined ? {} : { maxBytes }) };
  }

  it('parses a good file', async () => {
    const { result } = await read('{"a": [1, 2]}\n');
    assert.deepEqual(result, { kind: 'ok', value: { a: [1, 2] }, bytes: 14 });
  });

  it('tells a missing file', async () => {
    assert.deepEqual(await readJsonFile(join(dir, 'none.json')), { kind: 'missing' });
  });

  it('tells an unreadable one, with the errno', async () => {
    const result = await readJsonFile(dir);
    assert.equal(result.kind, 'unreadable');
    assert.ok(result.kind === 'unreadable' && result.code === 'EISDIR');
    assert.match(result.message, /: cannot read: .*EISDIR/);
  });

  it('gives line and column for JSON whose error has no position in the message', async () => {
    const { path, result } = await read('{\n  "a": 1,\n  "b": }\n');
    assert.equal(result.kind, 'corrupt');
    assert.ok(result.kind === 'corrupt');
    assert.deepEqual(result.position, { offset: 19, line: 3, column: 8 });
    assert.equal(result.message.split(': ')[0], `${path}:3:8`);
    assert.match(result.reason, /^invalid JSON: Unexpected token/);
  });

  it('places a truncated document at its end', async () => {
    const { path, result } = await read('{\n  "a": [1, 2');
    assert.ok(result.kind === 'corrupt');
    assert.match(result.message, new RegExp(`^${path}:2:13: invalid JSON`));
  });

  it('calls garbage, an empty file, non-UTF-8 and an oversized file corrupt', async () => {
    const cases: Array<[string | Buffer, RegExp, number?]> = [
      ['garbage', /:1:1: invalid JSON/],
      ['', /: the file is empty$/],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /: not UTF-8 text$/],
      ['[1, 2, 3]', /: the file is 9 bytes, more than the 4 allowed$/, 4],
      [Buffer.alloc(32), /:1:1: invalid JSON/], // zeros, as a file system may leave after a crash
    ];
    for (const [content, pattern, max] of cases) {
      const { result } = await read(content, max);
      assert.equal(result.kind, 'corrupt', String(pattern));
      assert.ok(result.kind === 'corrupt');
      assert.match(result.message, pattern);
    }
  });
});
