/**
 * The recording's pieces: where the recorder places ticks and samples on the trace's time grid
 * (and what it leaves out), that the simulator reads what it writes (start line, `at`, notes,
 * restarts), that `trace.jsonl` rotates and stays bounded like `decisions.jsonl`, and that
 * `readTrace` gives each recording's start line ahead of the lines asked for.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simulate } from '../../controller/simulate.js';
import { DecisionJournal } from '../../controller/state/decision-journal.js';
import { parseSince, readTrace } from '../../controller/state/trace-files.js';
import { TRACE_BASE, TraceRecorder } from '../../controller/trace-recorder.js';
import type { Signals } from '../../core/signals.js';
import { loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import { NAS_POOLS, policyYaml } from '../helpers/config.js';

function config(cache: readonly string[] = ['meminfo']): Config {
  const yaml = policyYaml({
    name: 'rec',
    interval: '1s',
    fastPath: '100ms',
    signals: { cache, psiSaturation: 10 },
    services: [
      { name: 'a', url: 'http://127.0.0.1:9', pools: NAS_POOLS.slice(0, 1) },
      { name: 'b', url: 'http://127.0.0.1:9', pools: NAS_POOLS.slice(0, 1) },
    ],
  });
  const loaded = loadConfigText(yaml, 'rec.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.config;
}

function recorder(): { rec: TraceRecorder; lines: unknown[] } {
  const lines: unknown[] = [];
  const journal = {
    appendValue: (v: unknown) => void lines.push(v),
    flush: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
  return { rec: new TraceRecorder({ journal }), lines };
}

const T0 = Date.parse('2026-12-05T04:00:00.000Z');
const fresh = (value: number, at: number) => ({ value, at, stale: false });

describe('TraceRecorder', () => {
  it('opens with a start line, puts ticks on the interval and samples between them', () => {
    const { rec, lines } = recorder();
    const cfg = config();
    const signals = (at: number): Signals => ({ cache: fresh(0.5, at), load: { a: fresh(0.4, at) } });
    rec.sample(cfg, signals(T0 - 50), T0 - 50); // before the first tick: nothing
    rec.tick(cfg, signals(T0 + 300), T0 + 300); // the recording starts on this tick's slot
    rec.sample(cfg, signals(T0 + 400), T0 + 400);
    rec.tick(cfg, signals(T0 + 1013), T0 + 1013); // a late tick: t on the grid, at the real time
    rec.sample(cfg, signals(T0 + 1000), T0 + 2003); // a sample after the next slot, before its tick
    rec.tick(cfg, signals(T0 + 2990), T0 + 2990); // very late: still the slot it falls in
    rec.tick(cfg, signals(T0 + 3000), T0 + 3000);
    assert.deepEqual(lines, [
      { start: '2026-12-05T04:00:00.000Z' },
      { t: 0, at: 300, cache: 0.5, load: { a: 0.4 } },
      { t: 400, cache: 0.5 }, // a sample: the cache alone
      { t: 1000, at: 1013, cache: 0.5, load: { a: 0.4 } },
      { t: 1999, at: 2003, cache: 0.5 }, // the cache is 1 s old but not stale
      { t: 2000, at: 2990, cache: 0.5, load: { a: 0.4 } },
      { t: 3000, cache: 0.5, load: { a: 0.4 } },
    ]);
  });

  it('leaves out stale and missing readings, and writes per-service cache as an object', () => {
    const { rec, lines } = recorder();
    const cfg = config(['meminfo', 'service']);
    rec.tick(
      cfg,
      {
        cache: fresh(0.3, T0),
        serviceCache: { a: fresh(0.8, T0) }, // b reports no memory block: the node's 0.3
        load: { a: { value: 0.9, at: T0, stale: true }, b: fresh(0.2, T0 - 60_000) },
      },
      T0,
    );
    assert.deepEqual(lines.slice(1), [{ t: 0, cache: { a: 0.8, b: 0.3 }, load: {} }]);
  });
});

describe('a recording through simulate', () => {
  const cfg = config();
  const replay = async (text: string) => {
    const notes: string[] = [];
    const changes = [];
    for await (const c of simulate(cfg, text.split('\n'), 'rec.jsonl', { onNote: (n) => notes.push(n) })) {
      changes.push([c.t, c.service, c.action, c.from, c.to]);
    }
    return { notes, changes };
  };

  it('decides at "at" and reads the start line', async () => {
    const text = [
      '{"start":"2026-12-05T04:00:00.000Z"}',
      '{"t":0,"cache":0.75,"load":0.4}',
      '{"t":1000,"at":1013,"cache":0.75,"load":0.4}',
    ].join('\n');
    const { notes, changes } = await replay(text);
    assert.deepEqual(notes, []);
    assert.deepEqual(changes, [
      [0, 'a', 'shrink', 1024, 819],
      [0, 'b', 'shrink', 1024, 819],
    ]);
  });

  it('says where a restart or a recorded note makes live and replay differ', async () => {
    const text = [
      '{"start":"2026-12-05T04:00:00.000Z"}',
      '{"t":0,"cache":0.1,"load":0.4}',
      '{"note":"a push failed"}',
      '{"start":"2026-12-05T05:00:00.000Z"}',
      '{"t":0,"cache":0.1,"load":0.4}',
    ].join('\n');
    const { notes } = await replay(text);
    assert.equal(notes.length, 2);
    assert.match(notes[0] as string, /^rec\.jsonl:3: a push failed$/);
    assert.match(notes[1] as string, /^rec\.jsonl:4: the controller restarted here/);
  });

  it('gives a node-only configuration the highest per-service cache, and says so', async () => {
    const text = [
      '{"t":0,"cache":{"a":0.75,"b":0.2},"load":0.4}',
      '{"t":1000,"cache":{"a":0.1},"load":0.4}',
    ].join('\n');
    const { notes, changes } = await replay(text);
    assert.deepEqual(changes, [
      [0, 'a', 'shrink', 1024, 819],
      [0, 'b', 'shrink', 1024, 819],
    ]);
    assert.equal(notes.length, 1);
    assert.match(notes[0] as string, /^rec\.jsonl:1: the trace's cache is per service/);
  });

  it('refuses a bad start line, or one with other keys, at FILE:LINE', async () => {
    await assert.rejects(
      replay('{"start":"yesterday"}'),
      /^TraceError: rec\.jsonl:1: "start" must be an ISO time/,
    );
    await assert.rejects(
      replay('{"t":0}\n{"start":"2026-12-05T04:00:00Z","t":1}'),
      /rec\.jsonl:2: a "start"/,
    );
    await assert.rejects(replay('{"t":0,"at":-1}'), /rec\.jsonl:1: "at" must be a non-negative number/);
  });
});

describe('trace.jsonl on disk', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'poolpilot-trace-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates and stays bounded like decisions.jsonl, apart from it', async () => {
    const journal = new DecisionJournal({ dir, base: TRACE_BASE, maxFileBytes: 200, maxTotalBytes: 600 });
    for (let t = 0; t < 100; t++) journal.appendValue({ t: t * 1000, cache: 0.5, load: { a: 0.25 } });
    await journal.close();
    const names = (await readdir(dir)).sort();
    assert.ok(names.includes('trace.jsonl'), names.join());
    assert.ok(
      names.every((n) => /^trace(-\d+)?\.jsonl$/.test(n)),
      names.join(),
    );
    assert.ok(names.length <= 3, names.join());
    assert.equal(journal.stats.dropped, 0);
  });

  it('reads each recording from `since` on, its start line first', async () => {
    await rm(dir, { recursive: true, force: true });
    const rec = new TraceRecorder({ journal: new DecisionJournal({ dir, base: TRACE_BASE }) });
    const cfg = config();
    for (const ms of [0, 1000, 2000, 3000]) {
      rec.tick(cfg, { cache: fresh(0.2, T0 + ms), load: {} }, T0 + ms);
    }
    await rec.close();
    const read = async (since: string | undefined) => {
      const parsed = parseSince(since);
      assert.notEqual(typeof parsed, 'string');
      let out = '';
      for await (const line of readTrace(dir, parsed as Exclude<typeof parsed, string>)) out += line;
      return out;
    };
    const start = '{"start":"2026-12-05T04:00:00.000Z"}\n';
    assert.equal(
      await read('2000'),
      `${start}{"t":2000,"cache":0.2,"load":{}}\n{"t":3000,"cache":0.2,"load":{}}\n`,
    );
    assert.equal(await read('2026-12-05T04:00:03Z'), `${start}{"t":3000,"cache":0.2,"load":{}}\n`);
    assert.equal(await read('2026-12-05T05:00:00Z'), '');
    assert.equal((await read(undefined)).split('\n').length, 6);
    assert.equal(await readFile(join(dir, 'trace.jsonl'), 'utf8'), await read(undefined));
    assert.match(parseSince('an hour ago') as string, /"since" must be a t in milliseconds or an ISO time/);
    await writeFile(join(dir, 'trace.jsonl'), `${start}{"t":0,"cache`); // a torn line is skipped
    assert.equal(await read(undefined), '');
  });
});
