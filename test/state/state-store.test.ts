import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../helpers/manual-clock.js';
import { STATE_VERSION } from '../../controller/state/state-document.js';
import { StateStore } from '../../controller/state/state-store.js';
import { sampleState, tempDir } from './fixtures.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

describe('StateStore', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let clock: ManualClock;
  const warnings: string[] = [];
  const logger = { warn: (_obj: object, msg?: string) => void warnings.push(msg ?? '') };
  const store = (): StateStore => new StateStore({ dir, clock, logger });

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    clock = new ManualClock(T0);
    warnings.length = 0;
  });
  afterEach(() => remove());

  it('starts fresh, creating a missing directory', async () => {
    dir = join(dir, 'a', 'b');
    assert.deepEqual(await store().load(), { kind: 'fresh' });
    assert.deepEqual(await readdir(dir), []);
  });

  it('restores what it saved, with the time of the write', async () => {
    const first = store();
    await first.load();
    const state = sampleState(96, { 'nas/read': { capacity: 10, until: T0 + 60_000 } });
    first.save(state);
    assert.equal(await first.flush(), true);
    const doc = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    assert.equal(doc.version, STATE_VERSION);
    assert.equal(doc.savedAt, '2025-03-01T12:00:00.000Z');
    const loaded = await store().load();
    assert.deepEqual(loaded, {
      kind: 'restored',
      state,
      savedAt: '2025-03-01T12:00:00.000Z',
      downtimeMs: 0,
      expiredOverrides: [],
    });
  });

  it('restores the pools suspected of leaking, with their evidence', async () => {
    const first = store();
    await first.load();
    const leaks = { 'nas/read': 'in use climbed 10 -> 60 -> 110' };
    first.save({ ...sampleState(96), leaks });
    assert.equal(await first.flush(), true);
    const loaded = await store().load();
    assert.ok(loaded.kind === 'restored');
    assert.deepEqual({ ...loaded.state.leaks }, leaks);
  });

  it("restores the shadow policy's state, its rule timers moved by the downtime", async () => {
    const first = store();
    await first.load();
    const shadow = { policy: 'halve-fast', decisionState: sampleState(300).decisionState };
    first.save({ ...sampleState(96), shadow });
    assert.equal(await first.flush(), true);
    clock.advance(60_000);
    const loaded = await store().load();
    assert.ok(loaded.kind === 'restored');
    assert.equal(loaded.state.shadow?.policy, 'halve-fast');
    const read = loaded.state.shadow?.decisionState.pools['nas/read'];
    assert.equal(read?.capacity, 300);
    assert.equal(read?.ruleSince, 1_000 + 60_000, 'the downtime does not count');
  });

  it('moves rule timers by the downtime, so a grow rule does not jump, and leaves overrides alone', async () => {
    const first = store();
    await first.load();
    const override = { capacity: 10, until: T0 + 3_600_000 };
    first.save(sampleState(96, { 'nas/read': override }));
    await first.flush();
    clock.advance(600_000);
    const loaded = await store().load();
    assert.ok(loaded.kind === 'restored');
    assert.equal(loaded.downtimeMs, 600_000);
    const pools = loaded.state.decisionState.pools;
    assert.deepEqual(pools['nas/read'], {
      capacity: 96,
      rule: 1,
      ruleSince: 601_000,
      c0: 48,
      lastShrinkAt: null,
    });
    assert.deepEqual(pools['nas/stat'], {
      capacity: 200,
      rule: null,
      ruleSince: 602_000,
      c0: 200,
      lastShrinkAt: 601_500,
    });
    assert.deepEqual(loaded.state.overrides, { 'nas/read': override });
  });

  it('drops the overrides that expired, until <= now', async () => {
    const first = store();
    await first.load();
    const overrides = {
      'nas/read': { capacity: 10, until: T0 + 5_000 },
      'nas/stat': { capacity: 20, until: T0 + 5_001 },
    };
    first.save({ ...sampleState(), overrides });
    await first.flush();
    clock.set(T0 + 5_000);
    const loaded = await store().load();
    assert.ok(loaded.kind === 'restored');
    assert.deepEqual(loaded.state.overrides, { 'nas/stat': { capacity: 20, until: T0 + 5_001 } });
    assert.deepEqual(loaded.expiredOverrides, ['nas/read']);
  });

  it('coalesces rapid saves: the latest state wins, with at most one write in flight', async () => {
    const s = store();
    await s.load();
    for (let i = 1; i <= 100; i++) s.save(sampleState(i));
    assert.equal(await s.flush(), true);
    assert.equal(s.stats.saves, 100);
    assert.ok(s.stats.writes <= 2, `writes: ${s.stats.writes}`);
    const loaded = await store().load();
    assert.ok(loaded.kind === 'restored');
    assert.equal(loaded.state.decisionState.pools['nas/read']?.capacity, 100);
  });

  it('skips writing a state that has not changed', async () => {
    const s = store();
    await s.load();
    s.save(sampleState(5));
    await s.flush();
    clock.advance(1000);
    s.save(sampleState(5));
    await s.flush();
    assert.deepEqual([s.stats.writes, s.stats.unchanged], [1, 1]);
  });

  it('refuses to save before load, which could overwrite a file not yet moved aside', () => {
    assert.throws(() => store().save(sampleState()), /before load/);
  });

  it('removes temporary files a killed write left', async () => {
    await writeFile(join(dir, '.state.json.999.abc.tmp'), '{"version": 1, "sav');
    assert.deepEqual(await store().load(), { kind: 'fresh' });
    assert.deepEqual(await readdir(dir), []);
  });

  it('counts and reports a failed save, and writes again once the directory is back', async () => {
    const s = store();
    await s.load();
    await rm(dir, { recursive: true });
    s.save(sampleState(7));
    assert.equal(await s.flush(), false);
    assert.equal(s.stats.failures, 2); // the save, and flush's one more try
    assert.equal(warnings.length, 1, 'one warning a minute while failing');
    assert.match(warnings[0] as string, /could not save the controller state: .*ENOENT/);
    assert.match(s.stats.lastError ?? '', /atomic write failed at open/);
    await mkdir(dir);
    assert.equal(await s.flush(), true);
    const loaded = await store().load();
    assert.ok(loaded.kind === 'restored' && loaded.state.decisionState.pools['nas/read']?.capacity === 7);
  });
});

describe('StateStore with a bad state.json', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  const good = (): Record<string, unknown> => ({
    version: 1,
    savedAt: '2025-03-01T12:00:00.000Z',
    ...sampleState(),
  });
  const withPool = (pool: object): string =>
    JSON.stringify({ ...good(), decisionState: { bands: { load: {} }, pools: { 'nas/read': pool } } });
  const pool = { capacity: 8, rule: null, ruleSince: 0, c0: 8, lastShrinkAt: null };

  const cases: Array<[string, string, RegExp]> = [
    ['garbage', 'not json at all', /state\.json:1:1: invalid JSON/],
    ['truncated JSON', JSON.stringify(good(), null, 2).slice(0, 120), /state\.json:\d+:\d+: invalid JSON/],
    ['an empty file', '', /state\.json: the file is empty/],
    ['zero bytes left by a crash', '\0'.repeat(64), /state\.json:1:1: invalid JSON/],
    ['a top-level list', '[]', /the top level: expected a map, got a list/],
    [
      'a newer version',
      JSON.stringify({ ...good(), version: 2 }),
      /version: unknown version 2 \(this controller reads 1\)/,
    ],
    ['no version', JSON.stringify({ ...good(), version: undefined }), /version: expected 1, got nothing/],
    ['a bad savedAt', JSON.stringify({ ...good(), savedAt: 'yesterday' }), /savedAt: expected an ISO time/],
    [
      'paused as a string',
      JSON.stringify({ ...good(), paused: 'yes' }),
      /paused: expected true or false, got "yes"/,
    ],
    [
      'a fractional capacity',
      withPool({ ...pool, capacity: 1.5 }),
      /pools\["nas\/read"\]\.capacity: expected a whole number >= 0, got 1\.5/,
    ],
    [
      'a negative capacity',
      withPool({ ...pool, capacity: -1 }),
      /\.capacity: expected a whole number >= 0, got -1/,
    ],
    [
      'a missing ruleSince',
      withPool({ ...pool, ruleSince: undefined }),
      /\.ruleSince: expected a finite number, got nothing/,
    ],
    ['a rule as a string', withPool({ ...pool, rule: '1' }), /\.rule: expected a whole number >= 0, got "1"/],
    [
      'a pool key without a slash',
      JSON.stringify({ ...good(), overrides: { nas: { capacity: 1, until: 0 } } }),
      /overrides\["nas"\]: expected a key "service\/pool"/,
    ],
    [
      'an unknown band',
      JSON.stringify({ ...good(), decisionState: { bands: { cache: 'huge', load: {} }, pools: {} } }),
      /decisionState\.bands\.cache: expected one of low, mid, high, got "huge"/,
    ],
    [
      'overrides as a list',
      JSON.stringify({ ...good(), overrides: [] }),
      /overrides: expected a map, got a list/,
    ],
  ];

  for (const [name, content, reason] of cases) {
    it(`moves aside ${name} and starts clean`, async () => {
      await writeFile(join(dir, 'state.json'), content);
      const clock = new ManualClock(Date.parse('2025-03-02T08:30:00.123Z'));
      const loaded = await new StateStore({ dir, clock }).load();
      assert.equal(loaded.kind, 'corrupt');
      assert.ok(loaded.kind === 'corrupt');
      assert.match(loaded.reason, reason);
      assert.ok(loaded.reason.startsWith(join(dir, 'state.json')), loaded.reason);
      assert.equal(loaded.movedTo, join(dir, 'state.json.corrupt-2025-03-02T08-30-00.123Z'));
      assert.equal(await readFile(loaded.movedTo, 'utf8'), content, 'nothing of the bad file is lost');
      assert.deepEqual(await new StateStore({ dir, clock }).load(), { kind: 'fresh' });
    });
  }

  it('moves aside a state.json that is a directory, and never overwrites an earlier corrupt file', async () => {
    const clock = new ManualClock(0);
    await writeFile(join(dir, 'state.json'), 'one');
    const first = await new StateStore({ dir, clock }).load();
    await mkdir(join(dir, 'state.json'));
    const second = await new StateStore({ dir, clock }).load();
    assert.ok(first.kind === 'corrupt' && second.kind === 'corrupt');
    assert.match(second.reason, /cannot read: .*EISDIR/);
    assert.equal(second.movedTo, `${first.movedTo}-2`);
    assert.equal(await readFile(first.movedTo, 'utf8'), 'one');
  });
});
