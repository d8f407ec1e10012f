/**
 * Files planted in the state directory by someone who can write there: symlinks to files outside
 * it, FIFOs, devices, directories, oversized files. The store and the journal must never write
 * outside the directory, never hang, never read without bound; what they refuse is moved aside
 * and reported, and they carry on clean.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readFile, readdir, symlink, truncate, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DecisionJournal } from '../../controller/state/decision-journal.js';
import { StateStore } from '../../controller/state/state-store.js';
import { removeStaleTempFiles } from '../../controller/state/atomic-file.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { sampleRecord, sampleState, tempDir } from '../state/fixtures.js';

/** A file outside the state directory, and a check that nothing touched it. */
async function outsideFile(dir: string, name: string, content: string) {
  const path = join(dir, name);
  await writeFile(path, content);
  return {
    path,
    async assertUntouched(): Promise<void> {
      assert.equal(await readFile(path, 'utf8'), content, `${name} changed`);
      assert.equal((await lstat(path)).size, Buffer.byteLength(content), `${name} changed size`);
    },
  };
}

describe('state files planted by an attacker', () => {
  let root: string;
  let dir: string;
  let remove: () => Promise<void>;
  const warnings: string[] = [];
  const logger = { warn: (_o: object, msg?: string) => void warnings.push(msg ?? '') };
  const clock = new ManualClock(Date.parse('2025-03-02T08:30:00.000Z'));

  beforeEach(async () => {
    ({ dir: root, remove } = await tempDir());
    dir = join(root, 'state');
    await mkdir(dir);
    warnings.length = 0;
  });
  afterEach(() => remove());

  const goodState = JSON.stringify({ version: 1, savedAt: '2025-03-01T00:00:00.000Z', ...sampleState(7) });

  it('state.json as a symlink to a file outside: not read, moved aside, never written through', async () => {
    const outside = await outsideFile(root, 'outside.json', goodState); // even a valid state
    await symlink(outside.path, join(dir, 'state.json'));
    const store = new StateStore({ dir, clock, logger });
    const loaded = await store.load();
    assert.ok(loaded.kind === 'corrupt', loaded.kind);
    assert.match(loaded.reason, /state\.json: refused: a symbolic link, not a regular file/);
    assert.equal(loaded.movedTo, join(dir, 'state.json.refused-2025-03-02T08-30-00.000Z'));
    assert.ok((await lstat(loaded.movedTo)).isSymbolicLink(), 'the link itself was moved');
    store.save(sampleState(99));
    assert.equal(await store.flush(), true);
    assert.ok((await lstat(join(dir, 'state.json'))).isFile());
    await outside.assertUntouched();
  });

  it('state.json as a dangling symlink: nothing is created at its target', async () => {
    const target = join(root, 'created-by-attack');
    await symlink(target, join(dir, 'state.json'));
    const store = new StateStore({ dir, clock });
    assert.equal((await store.load()).kind, 'corrupt');
    store.save(sampleState());
    assert.equal(await store.flush(), true);
    await assert.rejects(lstat(target), /ENOENT/);
  });

  it('state.json as a FIFO: the start does not hang, and the FIFO is moved aside', async () => {
    execFileSync('mkfifo', [join(dir, 'state.json')]);
    const loaded = await new StateStore({ dir, clock }).load(); // hung for ever before
    assert.ok(loaded.kind === 'corrupt');
    assert.match(loaded.reason, /refused: a FIFO, not a regular file/);
    assert.ok((await lstat(loaded.movedTo)).isFIFO());
  });

  it('state.json pointing at /dev/zero is refused unread (it used to grow the process to gigabytes)', async () => {
    await symlink('/dev/zero', join(dir, 'state.json'));
    const before = process.memoryUsage().rss;
    const loaded = await new StateStore({ dir, clock }).load();
    assert.ok(loaded.kind === 'corrupt');
    assert.match(loaded.reason, /refused: a symbolic link/);
    // Generous: a read of /dev/zero would take all the memory there is.
    assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024);
  });

  it('a 1 GiB state.json (sparse) is corrupt without being read', async () => {
    const path = join(dir, 'state.json');
    await writeFile(path, '');
    await truncate(path, 1024 * 1024 * 1024);
    const loaded = await new StateStore({ dir, clock }).load();
    assert.ok(loaded.kind === 'corrupt');
    assert.match(loaded.reason, /the file is 1073741824 bytes, more than the 16777216 allowed/);
    assert.match(loaded.movedTo, /state\.json\.corrupt-/);
  });

  it('decisions.jsonl as a symlink to a file outside: appends go to a new file in the directory', async () => {
    const outside = await outsideFile(root, 'outside.log', 'precious\n');
    await symlink(outside.path, join(dir, 'decisions.jsonl'));
    const journal = new DecisionJournal({ dir, clock, logger });
    assert.deepEqual((await journal.readRecent(10)).records, []);
    for (const id of ['a', 'b', 'c']) journal.append(sampleRecord(id));
    assert.equal(await journal.flush(), true);
    await journal.close();
    await outside.assertUntouched();
    assert.ok((await lstat(join(dir, 'decisions.jsonl'))).isFile());
    const lines = (await readFile(join(dir, 'decisions.jsonl'), 'utf8')).trim().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { id: string }).id),
      ['a', 'b', 'c'],
    );
    assert.ok(
      warnings.some((w) =>
        w.includes(`refused the journal file ${join(dir, 'decisions.jsonl')}: a symbolic link`),
      ),
      warnings.join('\n'),
    );
    assert.ok((await readdir(dir)).includes('decisions.jsonl.refused-2025-03-02T08-30-00.000Z'));
  });

  it('a symlink planted after the start is refused when the active file is next opened', async () => {
    const outside = await outsideFile(root, 'outside.log', 'precious\n');
    const journal = new DecisionJournal({ dir, clock, logger, maxFileBytes: 4096, maxTotalBytes: 65_536 });
    await journal.readRecent(10); // the start: nothing to sweep yet
    await symlink(outside.path, join(dir, 'decisions.jsonl'));
    journal.append(sampleRecord('late'));
    assert.equal(await journal.flush(), true);
    await journal.close();
    await outside.assertUntouched();
    assert.match(await readFile(join(dir, 'decisions.jsonl'), 'utf8'), /"id":"late"/);
    assert.ok(warnings.some((w) => /refused the journal file .*decisions\.jsonl: a symbolic link/.test(w)));
  });

  it('rotated names that are symlinks, directories or FIFOs: never read, never written, moved aside', async () => {
    const outside = await outsideFile(root, 'outside.jsonl', `${JSON.stringify(sampleRecord('planted'))}\n`);
    await symlink(outside.path, join(dir, 'decisions-3.jsonl'));
    await symlink('/dev/zero', join(dir, 'decisions-4.jsonl'));
    await mkdir(join(dir, 'decisions-2.jsonl'));
    execFileSync('mkfifo', [join(dir, 'decisions-5.jsonl')]);
    const lineBytes = Buffer.byteLength(`${JSON.stringify(sampleRecord('r-00'))}\n`);
    const journal = new DecisionJournal({
      dir,
      clock,
      logger,
      maxFileBytes: lineBytes * 2,
      maxTotalBytes: lineBytes * 6,
    });
    const read = await journal.readRecent(10);
    assert.deepEqual(read.records, [], 'the planted record is not read back');
    for (let i = 0; i < 10; i++) journal.append(sampleRecord(`r-${String(i).padStart(2, '0')}`));
    assert.equal(await journal.flush(), true);
    assert.ok(journal.stats.rotations >= 4);
    const back = await journal.readRecent(10);
    assert.equal(back.records[0]?.id, 'r-09');
    assert.ok(back.records.every((r) => r.id !== 'planted'));
    await journal.close();
    await outside.assertUntouched();
    const names = await readdir(dir);
    for (const n of [2, 3, 4, 5]) {
      assert.ok(
        names.some((f) => f.startsWith(`decisions-${n}.jsonl.refused-`)),
        `decisions-${n}.jsonl moved aside: ${names.join(' ')}`,
      );
    }
    for (const name of names.filter((f) => /^decisions(-\d+)?\.jsonl$/.test(f))) {
      assert.ok((await lstat(join(dir, name))).isFile(), `${name} is a regular file`);
    }
    assert.equal(warnings.filter((w) => w.startsWith('refused the journal file')).length, 4);
  });

  it('reads back a 1 GiB journal file (sparse) only up to its read limit, keeping its newest lines', async () => {
    const path = join(dir, 'decisions.jsonl');
    await writeFile(path, '');
    await truncate(path, 1024 * 1024 * 1024);
    await appendFile(path, `\n${JSON.stringify(sampleRecord('newest'))}\n`);
    const journal = new DecisionJournal({ dir, clock, logger, maxReadBytes: 1024 * 1024 });
    const read = await journal.readRecent(10);
    assert.deepEqual(
      read.records.map((r) => r.id),
      ['newest'],
    );
    assert.ok(
      read.skipped.some((s) => /larger than the read limit: only its last \d+ bytes read/.test(s.reason)),
    );
    await journal.close();
  });

  it('removes a stale temporary file that is a symlink without touching its target', async () => {
    const outside = await outsideFile(root, 'outside.txt', 'keep me\n');
    await symlink(outside.path, join(dir, '.state.json.123.abcdef.tmp'));
    assert.deepEqual(await removeStaleTempFiles(join(dir, 'state.json')), ['.state.json.123.abcdef.tmp']);
    await outside.assertUntouched();
  });

  it('a state directory that is itself a symlink is used: it is configuration', async () => {
    const real = join(root, 'real-state');
    await mkdir(real);
    await symlink(real, join(root, 'linked'));
    const store = new StateStore({ dir: join(root, 'linked'), clock });
    assert.equal((await store.load()).kind, 'fresh');
    store.save(sampleState(5));
    assert.equal(await store.flush(), true);
    assert.ok((await readdir(real)).includes('state.json'));
  });
});
