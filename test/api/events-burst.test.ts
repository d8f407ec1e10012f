/**
 * The event stream under a tick that decides for 1,000 pools (about 1,000 decision events in one
 * turn): a client that reads keeps its stream and gets every event; and the snapshot's event id
 * (`Poolpilot-Event-Id` on the status and the decisions) lets a client that subscribes after
 * loading them replay exactly what it would otherwise miss.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { buildServer } from '../../controller/api/server.js';
import { EVENT_ID_HEADER } from '../../controller/api/events.js';
import type { EventStreamOptions } from '../../controller/api/events.js';
import { METRIC } from '../../controller/metrics.js';
import { MANY_POOLS as POOLS, manyPoolsController } from '../helpers/many-pools.js';
import { waitFor } from '../helpers/wait.js';

async function start(stream: EventStreamOptions = {}) {
  const { controller, clock } = manyPoolsController(POOLS);
  const app = await buildServer({ controller, listenHost: '127.0.0.1', clock, events: stream });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  controller.start();
  await controller.tick();
  return { controller, clock, app, base };
}

/** Reads `path`'s stream into `text()` until closed. */
function reader(url: string): Promise<{ text: () => string; closed: () => boolean; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let text = '';
      let closed = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('close', () => (closed = true));
      resolve({ text: () => text, closed: () => closed, destroy: () => res.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

const decisions = (text: string): number => text.match(/^event: decision$/gm)?.length ?? 0;

describe('GET /api/v1/events: a tick of 1,000 pools', () => {
  it('a client that reads gets every decision of the burst and is never dropped', async () => {
    const s = await start();
    try {
      const client = await reader(`${s.base}/api/v1/events`);
      assert.ok(await waitFor(() => s.controller.events.listenerCount === 1));
      s.clock.advance(5000);
      await s.controller.tick(); // every pool shrinks: 1,000 decisions settle in one turn
      assert.ok(
        await waitFor(
          () => decisions(client.text()) === POOLS && client.text().includes('event: signals'),
          1000,
        ),
        `got ${decisions(client.text())} decisions`,
      );
      const dropped = await s.controller.registry.getSingleMetric(METRIC.sseDroppedClients)?.get();
      assert.equal(dropped?.values[0]?.value, 0);
      assert.equal(client.closed(), false, 'the stream stays open');
      client.destroy();
    } finally {
      await s.controller.stop();
      await s.app.close();
    }
  });

  it('the status and decisions carry the latest event id; subscribing from it misses nothing', async () => {
    const s = await start();
    try {
      const status = await fetch(`${s.base}/api/v1/status`);
      const listed = await fetch(`${s.base}/api/v1/decisions?limit=5`);
      const id = Number(status.headers.get(EVENT_ID_HEADER));
      assert.equal(id, s.controller.events.lastId);
      assert.equal(Number(listed.headers.get(EVENT_ID_HEADER)), id);
      await status.arrayBuffer();
      await listed.arrayBuffer();

      s.clock.advance(5000);
      await s.controller.tick(); // between the snapshot and the subscription
      const client = await reader(`${s.base}/api/v1/events?lastEventId=${id}`);
      assert.ok(
        await waitFor(() => decisions(client.text()) === POOLS, 1000),
        `got ${decisions(client.text())}`,
      );
      const first = client.text().match(/^id: (\d+)$/m)?.[1];
      assert.equal(Number(first), id + 1, 'from the event right after the snapshot');
      client.destroy();
    } finally {
      await s.controller.stop();
      await s.app.close();
    }
  });
});
