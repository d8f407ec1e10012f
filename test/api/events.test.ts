/**
 * `GET /api/v1/events` over a real listening server, read with node:http as a stream: what each
 * event carries, when it is sent, and how a reconnecting client catches up.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { after, afterEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { EventStreamOptions } from '../../controller/api/events.js';
import { buildServer } from '../../controller/api/server.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { Controller } from '../../controller/controller.js';
import { EventHub } from '../../controller/events.js';
import { loadConfigText } from '../../policies/loader.js';
import { seedYaml } from '../helpers/config.js';
import { fakeController } from '../helpers/fake-controller.js';

const START = 1_700_000_000_000;

/** One block of the stream, between blank lines. */
interface Frame {
  readonly id?: number;
  readonly event?: string;
  readonly data?: string;
  readonly retry?: number;
  readonly comment?: string;
}

/** A stream client: keeps every frame, and waits for the ones a test expects. */
class SseReader {
  readonly frames: Frame[] = [];
  private text = '';
  private wake: () => void = () => undefined;
  ended = false;

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.text += chunk;
      let end: number;
      while ((end = this.text.indexOf('\n\n')) >= 0) {
        this.frames.push(parseFrame(this.text.slice(0, end)));
        this.text = this.text.slice(end + 2);
      }
      this.wake();
    });
    const done = (): void => {
      this.ended = true;
      this.wake();
    };
    res.on('end', done);
    res.on('close', done);
  }

  static open(
    base: string,
    path = '/api/v1/events',
    headers: Record<string, string> = {},
  ): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}${path}`, { headers }, (res) => {
        resolve(new SseReader(res.statusCode ?? 0, res.headers, res));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The events (frames with an id), in the order received. */
  get events(): Frame[] {
    return this.frames.filter((f) => f.id !== undefined);
  }

  /** Resolves once `check` holds of the frames received; fails when the stream ends first. */
  async until(check: (frames: readonly Frame[]) => boolean): Promise<void> {
    while (!check(this.frames)) {
      if (this.ended) assert.fail(`the stream ended; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  close(): void {
    this.res.destroy();
  }
}

function parseFrame(block: string): Frame {
  const frame: Record<string, string | number> = {};
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (field === '') frame.comment = value;
    else if (field === 'id' || field === 'retry') frame[field] = Number(value);
    else frame[field] = value;
  }
  return frame as Frame;
}

interface Setup {
  readonly app: FastifyInstance;
  readonly controller: Controller;
  readonly clock: ManualClock;
  readonly base: string;
}

const open: Setup[] = [];

/** A controller on fakes (cache at 0.8: every pool shrinks every 5 s) behind a listening server. */
async function start(options: { ring?: number; stream?: EventStreamOptions } = {}): Promise<Setup> {
  const { controller, clock } = fakeController({
    clock: new ManualClock(START),
    with: options.ring !== undefined ? { events: new EventHub({ capacity: options.ring }) } : {},
  });
  const app = await buildServer({
    controller,
    listenHost: '127.0.0.1',
    clock,
    ...(options.stream ? { events: options.stream } : {}),
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  controller.start();
  await controller.tick();
  const setup = { app, controller, clock, base };
  open.push(setup);
  return setup;
}

/** A later tick, 5 s on: one signals event and three decisions (every pool shrinks again). */
async function nextTick(s: Setup): Promise<void> {
  s.clock.advance(5000);
  await s.controller.tick();
}

const ids = (frames: readonly Frame[]): number[] => frames.flatMap((f) => (f.id === undefined ? [] : [f.id]));
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /api/v1/events', () => {
  const readers: SseReader[] = [];
  const connect = async (...args: Parameters<typeof SseReader.open>): Promise<SseReader> => {
    const r = await SseReader.open(...args);
    readers.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of readers.splice(0)) r.close();
  });
  after(async () => {
    for (const s of open.splice(0)) {
      await s.controller.stop();
      await s.app.close();
    }
  });

  it('opens a text/event-stream with retry: 2000 and replays nothing without Last-Event-ID', async () => {
    const s = await start();
    assert.ok(s.controller.events.lastId >= 4, 'the first tick published events');
    const r = await connect(s.base);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/event-stream/);
    assert.match(String(r.headers['cache-control']), /no-cache/);
    await r.until((f) => f.length >= 1);
    assert.deepEqual(r.frames[0], { retry: 2000 });
    await nextTick(s);
    await r.until((f) => ids(f).length >= 4);
    assert.deepEqual(ids(r.frames), range(5, 8), 'only the events from now on');
  });

  it('sends each settled decision, as /api/v1/decisions has it, and one signals event per tick', async () => {
    const s = await start();
    const r = await connect(s.base);
    await nextTick(s);
    await r.until((f) => ids(f).length >= 4);
    const events = r.events;
    assert.deepEqual(ids(events), range(events[0]?.id ?? 0, (events[0]?.id ?? 0) + 3), 'ids go up by one');
    const decisions = events.filter((e) => e.event === 'decision').map((e) => JSON.parse(e.data ?? ''));
    assert.equal(decisions.length, 3);
    assert.ok(
      decisions.every((d) => d.outcome === 'applied'),
      'sent once its outcome is final',
    );
    const api = (await (await fetch(`${s.base}/api/v1/decisions?limit=3`)).json()) as {
      decisions: unknown[];
    };
    const byId = (list: Array<{ id: string }>) => [...list].sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(byId(decisions), byId(api.decisions as Array<{ id: string }>));
    assert.deepEqual(decisions.map((d) => [d.pool, d.from, d.to, d.action]).sort(), [
      ['buffers', 819, 655, 'shrink'],
      ['handles', 204, 163, 'shrink'],
      ['metadata', 1638, 1310, 'shrink'],
    ]);

    const signals = events.filter((e) => e.event === 'signals');
    assert.equal(signals.length, 1, 'one signals event per tick');
    const data = JSON.parse(signals[0]?.data ?? '');
    assert.deepEqual(Object.keys(data).sort(), ['at', 'cache', 'load', 'paused', 'pools', 'serviceCache']);
    assert.equal(data.at, new Date(START + 5000).toISOString());
    assert.deepEqual(data.cache, { value: 0.8, at: data.at, stale: false });
    assert.deepEqual(data.load.nas, { value: 0.1, at: data.at, stale: false });
    assert.equal(data.paused, false);
    const buffers = data.pools.find((p: { pool: string }) => p.pool === 'buffers');
    // The tick does not wait for its pushes: the capacity is the one reported or the one pushed.
    assert.ok([1024, 655].includes(buffers.capacity), String(buffers.capacity));
    assert.deepEqual(
      { ...buffers, capacity: 0 },
      {
        service: 'nas',
        pool: 'buffers',
        capacity: 0,
        target: 655,
        min: 64,
        max: 8192,
        // The reason of the decision that set this target, in the same event: never a tick behind.
        reason: 'cache 0.80 > 0.70 (high): shrink 819 x 0.8 -> 655',
        // Pool health: this service reports no counters, so nothing is known and nothing suspected.
        hitRatio: null,
        returnRatio: null,
        inUse: null,
        bytes: null,
        leakSuspected: false,
      },
    );
    assert.equal(data.pools.length, 3);
    for (const e of events) assert.ok(!(e.data ?? '').includes('\n'), 'data is one line');
  });

  it('sends a config event after each reload attempt, valid or not', async () => {
    const s = await start();
    const r = await connect(s.base);
    assert.equal(
      await s.controller.reload(loadConfigText(seedYaml({ url: 'http://127.0.0.1:9' }), 'test.yaml')),
      true,
    );
    assert.equal(await s.controller.reload(loadConfigText('policy: [', 'test.yaml')), false);
    await r.until((f) => f.filter((x) => x.event === 'config').length >= 2);
    const [good, bad] = r.events.filter((e) => e.event === 'config').map((e) => JSON.parse(e.data ?? ''));
    assert.deepEqual(good, {
      name: 'test-seed',
      loadedAt: new Date(START).toISOString(),
      lastError: null,
      source: 'test.yaml',
    });
    assert.equal(bad.name, 'test-seed', 'the policy in force is kept');
    assert.match(bad.lastError, /test\.yaml/);
    assert.deepEqual(
      bad,
      ((await (await fetch(`${s.base}/api/v1/status`)).json()) as { policy: unknown }).policy,
    );
  });

  it('sends a signals event after a fast sample only when the sample moved a target', async () => {
    const s = await start();
    const before = s.controller.events.lastId;
    await s.controller.fastSample(); // the shrink of the first tick is not due again yet
    assert.equal(s.controller.events.lastId, before);
    const r = await connect(s.base);
    s.clock.advance(5000);
    await s.controller.fastSample(); // now it is: the fast path shrinks at once
    await r.until((f) => f.some((x) => x.event === 'signals') && ids(f).length >= 4);
    const signals = JSON.parse(r.events.find((e) => e.event === 'signals')?.data ?? '');
    assert.equal(signals.pools.find((p: { pool: string }) => p.pool === 'buffers').target, 655);
  });

  it('replays exactly the missed events to a client that reconnects with Last-Event-ID', async () => {
    const s = await start();
    const first = await connect(s.base);
    await nextTick(s);
    await first.until((f) => ids(f).length >= 4);
    const seen = Math.max(...ids(first.frames));
    first.close();
    await nextTick(s);
    await nextTick(s);
    const last = s.controller.events.lastId;
    assert.equal(last, seen + 8);

    const again = await connect(s.base, '/api/v1/events', { 'last-event-id': String(seen) });
    await again.until((f) => ids(f).length >= 8);
    assert.deepEqual(again.frames[0], { retry: 2000 });
    assert.deepEqual(ids(again.frames), range(seen + 1, last));
    assert.ok(!again.frames.some((f) => f.event === 'reset'));
    await nextTick(s);
    await again.until((f) => ids(f).length >= 12);
    assert.deepEqual(ids(again.frames), range(seen + 1, last + 4), 'then the live events, none twice');

    const byQuery = await connect(s.base, `/api/v1/events?lastEventId=${last}`);
    const both = await connect(s.base, `/api/v1/events?lastEventId=1`, { 'last-event-id': String(last + 2) });
    await byQuery.until((f) => ids(f).length >= 4);
    await both.until((f) => ids(f).length >= 2);
    assert.deepEqual(ids(byQuery.frames), range(last + 1, last + 4));
    assert.deepEqual(ids(both.frames), range(last + 3, last + 4), 'the header wins over the query');
  });

  it('replays the whole ring and then a reset when Last-Event-ID is older than the ring', async () => {
    const s = await start({ ring: 6 });
    await nextTick(s);
    const last = s.controller.events.lastId;
    assert.equal(last, 8);
    const r = await connect(s.base, '/api/v1/events', { 'last-event-id': '1' });
    await r.until((f) => f.some((x) => x.event === 'reset'));
    assert.deepEqual(ids(r.frames), range(3, 8));
    assert.deepEqual(r.frames.at(-1), { event: 'reset', data: '{}' });

    const edge = await connect(s.base, '/api/v1/events', { 'last-event-id': '2' });
    await edge.until((f) => ids(f).length >= 6);
    await nextTick(s);
    await edge.until((f) => ids(f).length >= 10);
    assert.ok(!edge.frames.some((f) => f.event === 'reset'), 'id 2 is just before the ring: nothing missed');
  });

  it('sends a reset to a client whose Last-Event-ID is from an earlier process', async () => {
    const s = await start();
    const r = await connect(s.base, '/api/v1/events', { 'last-event-id': '9999' });
    await r.until((f) => f.some((x) => x.event === 'reset'));
    assert.deepEqual(ids(r.frames), range(1, s.controller.events.lastId));
  });
});
