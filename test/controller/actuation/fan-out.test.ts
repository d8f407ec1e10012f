import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { HttpPusher } from '../../../controller/actuator.js';
import { answerApplied, spec, startFaultServer } from './servers.js';
import type { FaultServer, Received } from './servers.js';

/**
 * Services that hold every request and count what is in flight across all of them. Held
 * requests are answered together once as many as the cap under test are in flight (a little
 * later, so that a pusher that let more through would be seen doing it), or once every expected
 * request has arrived (the tail). Reaching the cap does not depend on how fast the machine is.
 */
class HoldingServices {
  readonly servers: FaultServer[] = [];
  private held: Array<() => void> = [];
  private arrived = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly releaseAt: number,
    private readonly expected: number,
  ) {}

  async start(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.servers.push(await startFaultServer((req, res) => this.hold(req, res)));
    }
  }

  close(): Promise<void[]> {
    return Promise.all(this.servers.map((s) => s.close()));
  }

  private hold(req: Received, res: ServerResponse): void {
    this.arrived++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.held.push(() => {
      this.inFlight--;
      answerApplied(res, req.body);
    });
    if (this.inFlight === this.releaseAt || this.arrived === this.expected) {
      setTimeout(() => {
        for (const answer of this.held.splice(0)) answer();
      }, 20);
    }
  }
}

describe('HttpPusher bounded fan-out', () => {
  let services: HoldingServices;
  let pusher: HttpPusher;

  afterEach(async () => {
    await pusher.close();
    await services.close();
  });

  it('keeps at most maxConcurrent attempts in flight across services, and maxPerService to each', async () => {
    const perService = 6;
    services = new HoldingServices(4, 3 * perService);
    await services.start(3);
    pusher = new HttpPusher({ maxConcurrent: 4, maxPerService: 2 });

    const pushes = services.servers.flatMap((server, s) =>
      Array.from({ length: perService }, (_, p) =>
        pusher.push({
          service: spec(`svc-${s}`, server.url),
          pool: `pool-${p}`,
          capacity: 10 + p,
          decisionId: `d-${s}-${p}`,
          reason: 'r',
        }),
      ),
    );
    const results = await Promise.all(pushes);

    assert.ok(results.every((r) => r.ok && r.attempts === 1));
    assert.equal(services.maxInFlight, 4, 'the global cap is reached and never passed');
    for (const server of services.servers) {
      assert.ok(server.maxInFlight() <= 2, `per-service cap: saw ${server.maxInFlight()}`);
      assert.equal(server.received.length, perService);
    }
  });

  it('holds one service to maxPerService even when the global cap has room', async () => {
    services = new HoldingServices(3, 10);
    await services.start(1);
    pusher = new HttpPusher({ maxConcurrent: 64, maxPerService: 3 });
    const [server] = services.servers;
    assert.ok(server);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, p) =>
        pusher.push({
          service: spec('one', server.url),
          pool: `p${p}`,
          capacity: p,
          decisionId: `d${p}`,
          reason: 'r',
        }),
      ),
    );
    assert.ok(results.every((r) => r.ok));
    assert.equal(server.maxInFlight(), 3);
    assert.deepEqual(
      server.received.map((r) => r.body.decisionId).sort(),
      Array.from({ length: 10 }, (_, p) => `d${p}`).sort(),
    );
  });
});
