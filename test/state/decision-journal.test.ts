import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DecisionJournal } from '../../controller/state/decision-journal.js';
import type { DecisionJournalOptions, JournalStats } from '../../controller/state/journal-options.js';
import { sampleRecord, tempDir } from './fixtures.js';

describe('DecisionJournal', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const warnings: string[] = [];
  const logger = { warn: (_obj: object, msg?: string) => void warnings.push(msg ?? '') };
  const journal = (options: Partial<DecisionJournalOptions> = {}): DecisionJournal =>
    new DecisionJournal({ dir, logger, ...options });
  const lineBytes = Buffer.byteLength(`${JSON.stringify(sampleRecord('r-000'))}\n`);

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    warnings.length = 0;
  });
  afterEach(() => remove());

  const ids = (n: number, from = 0): string[] =>
    Array.from({ length: n }, (_, i) => `r-${String(from + i).padStart(3, '0')}`);

  it('appends JSON lines and reads the newest back first', async () => {
    const j = journal();
    for (const id of ids(5)) j.append(sampleRecord(id));
    assert.equal(await j.flush(), true);
    const lines = (await readFile(join(dir, 'decisions.jsonl'), 'utf8')).split('\n');
    assert.equal(lines.length, 6);
    assert.deepEqual(JSON.parse(lines[0] as string), sampleRecord('r-000'));
    const read = await journal().readRecent(3);
    assert.deepEqual(
      read.records.map((r) => r.id),
      ['r-004', 'r-003', 'r-002'],
    );
    assert.deepEqual(read.records[0], sampleRecord('r-004'));
    assert.deepEqual(read.skipped, []);
    await j.close();
  });

  it('rotates by size, keeps the total under its bound, and reads across files in order', async () => {
    const maxFileBytes = lineBytes * 4 + 10;
    const maxTotalBytes = maxFileBytes * 3;
    const j = journal({ maxFileBytes, maxTotalBytes });
    for (const id of ids(40)) j.append(sampleRecord(id));
    await j.close();
    const names = (await readdir(dir)).sort();
    let total = 0;
    for (const name of names) {
      const { size } = await stat(join(dir, name));
      assert.ok(size <= maxFileBytes, `${name} is ${size} bytes`);
      total += size;
    }
    assert.ok(total <= maxTotalBytes, `total ${total}`);
    assert.deepEqual(names, ['decisions-8.jsonl', 'decisions-9.jsonl', 'decisions.jsonl']);
    assert.equal(j.stats.rotations, 9);
    assert.equal(j.stats.deletedFiles, 7);
    const read = await journal().readRecent(100);
    assert.deepEqual(
      read.records.map((r) => r.id),
      ids(12, 28).reverse(),
    );
  });

  it('carries on the numbering of rotated files after a restart', async () => {
    const options = { maxFileBytes: lineBytes * 2, maxTotalBytes: lineBytes * 100 };
    const first = journal(options);
    for (const id of ids(5)) first.append(sampleRecord(id));
    await first.close();
    const second = journal(options);
    for (const id of ids(4, 5)) second.append(sampleRecord(id));
    await second.close();
    assert.deepEqual((await readdir(dir)).sort(), [
      'decisions-1.jsonl',
      'decisions-2.jsonl',
      'decisions-3.jsonl',
      'decisions-4.jsonl',
      'decisions.jsonl',
    ]);
    const read = await journal(options).readRecent(100);
    assert.deepEqual(
      read.records.map((r) => r.id),
      ids(9).reverse(),
    );
  });

  it('skips and reports a torn last line, and starts the next append on a new line', async () => {
    const path = join(dir, 'decisions.jsonl');
    const whole = ids(3).map((id) => JSON.stringify(sampleRecord(id)));
    const torn = JSON.stringify(sampleRecord('r-003')).slice(0, 50);
    await writeFile(path, `${whole.join('\n')}\n${torn}`);
    const before = await journal().readRecent(10);
    assert.deepEqual(
      before.records.map((r) => r.id),
      ['r-002', 'r-001', 'r-000'],
    );
    assert.equal(before.skipped.length, 1);
    assert.equal(before.skipped[0]?.line, 4);
    assert.match(before.skipped[0]?.reason ?? '', /^torn last line \(an append cut short\), invalid JSON/);
    assert.match(warnings[0] ?? '', /decisions\.jsonl:4: torn last line/);

    const j = journal();
    j.append(sampleRecord('r-004'));
    await j.close();
    const after = await journal().readRecent(10);
    assert.deepEqual(
      after.records.map((r) => r.id),
      ['r-004', 'r-002', 'r-001', 'r-000'],
    );
    assert.deepEqual(
      after.skipped.map((s) => s.line),
      [4],
    );
    assert.match(after.skipped[0]?.reason ?? '', /^invalid JSON/);
  });

  it('skips lines that are not decision records, saying where and why', async () => {
    const path = join(dir, 'decisions.jsonl');
    const good = JSON.stringify(sampleRecord('r-000'));
    const lines = [
      good,
      '{"id": 5}',
      '[1]',
      '',
      JSON.stringify({ ...sampleRecord('x'), outcome: 'maybe' }),
      good,
    ];
    await writeFile(path, `${lines.join('\n')}\n`);
    const read = await journal().readRecent(10);
    assert.equal(read.records.length, 2);
    assert.deepEqual(
      read.skipped.map((s) => `${s.line}: ${s.reason}`),
      [
        '5: not a decision record: "outcome" is not one of pending, applied, failed, observed',
        '3: not a decision record: not a JSON object',
        '2: not a decision record: "id" is not a string',
      ],
    );
  });

  it('reads nothing from an empty or missing directory', async () => {
    assert.deepEqual(await journal().readRecent(10), { records: [], skipped: [] });
    assert.deepEqual(await journal({ dir: join(dir, 'none') }).readRecent(10), { records: [], skipped: [] });
  });

  it('handles back-pressure: a burst larger than the stream buffer is all written, in order', async () => {
    const j = journal();
    const burst = ids(2000);
    for (const id of burst) j.append(sampleRecord(id));
    assert.equal(await j.flush(), true);
    assert.deepEqual([j.stats.appended, j.stats.written, j.stats.dropped], [2000, 2000, 0]);
    const read = await journal().readRecent(5000);
    assert.deepEqual(
      read.records.map((r) => r.id),
      [...burst].reverse(),
    );
  });

  it('drops and counts what does not fit its queue', async () => {
    const j = journal({ maxQueuedBytes: lineBytes * 3 });
    for (const id of ids(10)) j.append(sampleRecord(id)); // the file opens asynchronously: all queue
    await j.close();
    assert.deepEqual([j.stats.appended, j.stats.written, j.stats.dropped], [3, 3, 7]);
    assert.match(warnings[0] ?? '', /journal queue full/);
  });

  it('never throws when the disk fails: counts, warns once, and flush resolves', async () => {
    // A child under `ulimit -f 0`: every write fails with EFBIG, as on a full disk.
    const child = fileURLToPath(new URL('./disk-full-child.js', import.meta.url));
    const proc = spawn('/bin/sh', ['-c', 'ulimit -f 0 && exec "$0" "$@"', process.execPath, child, dir]);
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const code = await new Promise((resolve) => proc.once('close', resolve));
    assert.equal(code, 0, out);
    const result = JSON.parse(out) as { flushed: boolean; stats: JournalStats; warnings: string[] };
    assert.equal(result.flushed, true);
    assert.equal(result.stats.written, 0);
    assert.equal(result.stats.dropped, 5);
    assert.ok(result.stats.errors >= 1);
    assert.match(result.stats.lastError ?? '', /EFBIG/);
    assert.equal(result.warnings.length, 1);
  });

  it('keeps lines queued while the directory cannot be opened, and writes them once it can', async () => {
    const blocked = join(dir, 'state');
    await writeFile(blocked, 'a file where the directory should be');
    const j = journal({ dir: blocked });
    j.append(sampleRecord('r-000'));
    assert.equal(await j.flush(), false);
    assert.match(j.stats.lastError ?? '', /cannot open the journal: .*(EEXIST|ENOTDIR)/);
    await rm(blocked);
    j.append(sampleRecord('r-001'));
    assert.equal(await j.flush(), true);
    const read = await journal({ dir: blocked }).readRecent(10);
    assert.deepEqual(
      read.records.map((r) => r.id),
      ['r-001', 'r-000'],
    );
  });

  it('drops appends after close, and rejects limits that cannot hold', async () => {
    const j = journal();
    await j.close();
    j.append(sampleRecord('late'));
    assert.equal(j.stats.dropped, 1);
    assert.throws(() => journal({ maxFileBytes: 100, maxTotalBytes: 50 }), RangeError);
  });
});
