/**
 * The event stream's bounds, over a real listening server: a client that stops reading is
 * dropped once too much queues behind it (the server stays healthy, other clients keep their
 * stream), and closing the server ends every open stream instead of hanging.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { EventStreamOptions } from '../../controller/api/events.js';
import { buildServer } from '../../controller/api/server.js';
import type { Controller } from '../../controller/controller.js';
import { METRIC } from '../../controller/metrics.js';
import { waitFor } from '../helpers/wait.js';
import { fakeController } from '../helpers/fake-controller.js';

interface Setup {
  readonly app: FastifyInstance;
  readonly controller: Controller;
  readonly base: string;
  readonly port: number;
}

async function start(stream: EventStreamOptions = {}): Promise<Setup> {
  const { controller, clock } = fakeController({ load: null });
  const app = await buildServer({ controller, listenHost: '127.0.0.1', clock, events: stream });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, controller, base, port: Number(new URL(base).port) };
}

/** A client that sends its request and then never reads a byte: its socket is paused. */
function stalledClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.pause();
      socket.write('GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** A client that reads the stream into `text` until it ends. */
function readingClient(
  base: string,
): Promise<{ res: IncomingMessage; text: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/events`, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<void>((done) => res.on('close', done));
      resolve({ res, text: () => text, ended });
    });
    req.on('error', reject);
    req.end();
  });
}

async function metricValue(s: Setup, name: string): Promise<number> {
  const metric = await s.controller.registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value ?? NaN;
}

const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('GET /api/v1/events: bounds, heartbeats and bad input', () => {
  it('drops a client that stops reading once more than its bound queues, and stays healthy', async () => {
    const s = await start({ maxQueuedEvents: 8, maxQueuedBytes: 1024 * 1024 });
    try {
      const reader = await readingClient(s.base);
      const stalled = await stalledClient(s.port);
      assert.ok(await waitFor(() => s.controller.events.listenerCount === 2), 'both clients subscribed');
      assert.equal(await metricValue(s, METRIC.sseClients), 2);

      // 64 KiB events until the stalled client's kernel buffers are full and its bound is passed.
      const pad = 'x'.repeat(64 * 1024);
      let published = 0;
      while ((await metricValue(s, METRIC.sseDroppedClients)) === 0 && published < 4000) {
        s.controller.events.publish('config', { pad, n: published++ });
        if (published % 4 === 0) await yieldToIo();
      }
      assert.equal(await metricValue(s, METRIC.sseDroppedClients), 1, `dropped after ${published} events`);
      assert.ok(await waitFor(() => s.controller.events.listenerCount === 1), 'only the reader is left');
      assert.equal(await metricValue(s, METRIC.sseClients), 1);

      const closed = new Promise<void>((r) => stalled.once('close', () => r()));
      stalled.resume(); // reads what the kernel held, then sees the connection closed
      await closed;

      assert.equal((await fetch(`${s.base}/healthz`)).status, 200, 'the server stays healthy');
      const last = s.controller.events.publish('config', { after: 'drop' });
      assert.ok(
        await waitFor(() =>
          reader.text().includes(`id: ${last.id}\nevent: config\ndata: {"after":"drop"}\n\n`),
        ),
        'the reading client still gets every event',
      );
      const ids = [...reader.text().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.deepEqual(
        ids,
        ids.map((_, i) => (ids[0] ?? 0) + i),
        'without a gap',
      );
      reader.res.destroy();
    } finally {
      await s.controller.stop();
      await s.app.close();
    }
  });

  it('ends open streams when the server closes, a stalled one included', async () => {
    // Bounds high enough that the stalled client is still connected, with data stuck, at close.
    const s = await start({ closeGraceMs: 50, maxQueuedEvents: 100_000, maxQueuedBytes: 256 * 1024 * 1024 });
    const reader = await readingClient(s.base);
    const stalled = await stalledClient(s.port);
    assert.ok(await waitFor(() => s.controller.events.listenerCount === 2));
    const pad = 'x'.repeat(64 * 1024);
    for (let i = 1; i <= 400; i++) {
      s.controller.events.publish('config', { pad });
      if (i % 4 === 0) await yieldToIo();
    }
    const last = s.controller.events.lastId;
    assert.ok(await waitFor(() => reader.text().includes(`id: ${last}\n`)), 'the reader keeps up');
    const stalledClosed = new Promise<void>((r) => stalled.once('close', () => r()));

    await s.controller.stop();
    await s.app.close(); // resolves: no stream keeps the server open
    await reader.ended;
    assert.ok(reader.res.complete, 'the reading client saw its stream end cleanly');
    stalled.resume();
    await stalledClosed;
    assert.equal(s.controller.events.listenerCount, 0);
  });

  it('sends a heartbeat comment at the injected interval, and counts its clients', async () => {
    const s = await start({ heartbeatMs: 5 });
    try {
      const reader = await readingClient(s.base);
      assert.ok(await waitFor(() => reader.text().includes('\n\n: hb\n\n')), reader.text());
      assert.equal(reader.text().indexOf(': hb'), 'retry: 2000\n\n'.length, 'right after the retry');
      const metrics = await (await fetch(`${s.base}/metrics`)).text();
      assert.match(metrics, /^poolpilot_sse_clients 1$/m);
      assert.match(metrics, /^poolpilot_sse_dropped_clients_total 0$/m);
      reader.res.destroy();
      assert.ok(
        await waitFor(() => s.controller.events.listenerCount === 0),
        'a client that leaves is let go',
      );
      assert.equal(await metricValue(s, METRIC.sseClients), 0);
    } finally {
      await s.app.close();
    }
  });

  it('answers HEAD with the headers alone, at once', async () => {
    const s = await start();
    try {
      const res = await fetch(`${s.base}/api/v1/events`, { method: 'HEAD' });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(s.controller.events.listenerCount, 0, 'no subscriber left behind');
    } finally {
      await s.app.close();
    }
  });

  it('answers a malformed Last-Event-ID with a JSON 400', async () => {
    const s = await start();
    try {
      for (const [path, headers] of [
        ['/api/v1/events', { 'last-event-id': 'abc' }],
        ['/api/v1/events', { 'last-event-id': '1e3' }],
        ['/api/v1/events?lastEventId=-1', {}],
        ['/api/v1/events?lastEventId=x', {}],
        ['/api/v1/events?other=1', {}],
      ] as const) {
        const res = await fetch(`${s.base}${path}`, { headers });
        assert.equal(res.status, 400, path);
        assert.equal(((await res.json()) as { error: string }).error, 'bad_request');
      }
      assert.equal(s.controller.events.listenerCount, 0);
    } finally {
      await s.app.close();
    }
  });

  it('refuses limits that are not positive whole numbers', async () => {
    for (const bad of [
      { heartbeatMs: 0 },
      { maxQueuedEvents: -1 },
      { maxQueuedBytes: 1.5 },
      { retryMs: NaN },
      { closeGraceMs: 0 },
    ]) {
      await assert.rejects(start(bad), /must be a positive whole number/, JSON.stringify(bad));
    }
  });
});
