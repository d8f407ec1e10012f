import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../helpers/manual-clock.js';
import { statsObserver } from '../../controller/observer.js';
import type { Config, ServiceSpec } from '../../policies/types.js';
import { seedConfig } from '../helpers/config.js';
import { fixtures } from '../helpers/paths.js';

/** A Go-like service: agent stats for the pools, Prometheus text for the load. */
class GoService {
  agentLoad: object | undefined = undefined;
  scrapes = [fixtures('prometheus', 'go-scrape-1.txt'), fixtures('prometheus', 'go-scrape-2.txt')];
  metricsUp = true;
  private scrape = 0;
  readonly server: Server = createServer((req, res) => {
    if (req.url === '/poolpilot/v1/stats') {
      res.setHeader('content-type', 'application/json');
      const load = this.agentLoad ? { load: this.agentLoad } : {};
      res.end(JSON.stringify({ service: 'gonas', pools: [{ name: 'buffers', capacity: 100 }], ...load }));
    } else if (req.url === '/metrics' && this.metricsUp) {
      const file = this.scrapes[Math.min(this.scrape++, this.scrapes.length - 1)] as string;
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(readFileSync(file));
    } else {
      res.statusCode = 503;
      res.end('down');
    }
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

function goConfig(url: string): { config: Config; service: ServiceSpec } {
  const base = seedConfig({ url });
  const service: ServiceSpec = {
    ...(base.services[0] as ServiceSpec),
    load: {
      prometheus: {
        url: `${url}/metrics`,
        terms: [{ metric: 'go_goroutines', per: 'go_sched_gomaxprocs_threads', limit: 200 }],
      },
    },
  };
  return { config: { ...base, services: [service] }, service };
}

describe('service observer', () => {
  const go = new GoService();
  before(() => go.start());
  after(() => new Promise<void>((r) => go.server.close(() => r())));

  it('maps a Go service’s Prometheus text to its load, scrape after scrape', async () => {
    const observe = statsObserver({ clock: new ManualClock(1000), timeoutMs: 1000 });
    const { config, service } = goConfig(go.url);
    const first = await observe(service, config);
    assert.equal(first.ok, true);
    assert.deepEqual(first.capacities, { buffers: 100 });
    assert.equal(first.load, 248 / 8 / 200);
    const second = await observe(service, config);
    assert.equal(second.load, 0.82);
    assert.deepEqual(second.loadSources, { 'go_goroutines / go_sched_gomaxprocs_threads': 0.82 });
  });

  it('takes the max of the agent’s load and the Prometheus load, and says what it did without', async () => {
    const observe = statsObserver({ clock: new ManualClock(1000), timeoutMs: 1000 });
    const { config, service } = goConfig(go.url);
    go.agentLoad = { eventLoopUtilization: 0.9 };
    go.metricsUp = false;
    try {
      const obs = await observe(service, config);
      assert.equal(obs.load, 0.9);
      assert.deepEqual(obs.loadSources, { agent: 0.9 });
      assert.match(obs.loadReason ?? '', /prometheus: .*503/);
      go.agentLoad = undefined;
      const none = await observe(service, config);
      assert.equal(none.ok, true, 'the pools were read');
      assert.equal(none.load, undefined);
      assert.match(none.loadReason ?? '', /prometheus/);
    } finally {
      go.agentLoad = undefined;
      go.metricsUp = true;
    }
  });
});
