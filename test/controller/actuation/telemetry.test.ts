/**
 * Retries and circuit breakers as an operator sees them: the controller as `poolpilot run`
 * builds it (real HttpPusher, real stats observer, the HTTP API on 127.0.0.1:0) pushing to the
 * real agent plugin, which answers 500 to resizes while the test says so. What the test checks
 * is what a user reads: /metrics and GET /api/v1/status.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConstantBackoff } from 'cockatiel';
import { ACTUATION_METRIC } from '../../../controller/actuation-metrics.js';
import type { Config } from '../../../policies/types.js';
import { metricSamples, sampleValue, startHarness } from '../../security/ctl-harness.js';
import type { Harness } from '../../security/ctl-harness.js';
import { requireProgram, skipWithout } from '../../monitoring/live-controller.js';
import { ManualHalfOpen } from './manual-half-open.js';
import { pushingConfig as config, startFlakyAgent, tickUntilFivePuts } from './flaky-agent.js';
import type { FlakyAgent } from './flaky-agent.js';
import { startRealAgent } from './servers.js';

const { pushRetries, breakerState, breakerTransitions } = ACTUATION_METRIC;

interface ServiceView {
  readonly name: string;
  readonly breaker: string;
  readonly retries: number;
  readonly healthy: boolean;
}

async function services(base: string): Promise<ServiceView[]> {
  const res = await fetch(`${base}/api/v1/status`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { services: ServiceView[] }).services;
}

/** The breaker's state set of `service` on /metrics, as `{closed, open, half-open}`. */
function states(samples: readonly string[], service: string): Record<string, number | undefined> {
  return Object.fromEntries(
    ['closed', 'open', 'half-open'].map((s) => [
      s,
      sampleValue(samples, `${breakerState}{service="${service}",state="${s}"}`),
    ]),
  );
}

describe('actuation telemetry: retries and breakers on /metrics and in the status', () => {
  let agent: FlakyAgent;
  let h: Harness | undefined;
  let halfOpen: ManualHalfOpen;

  beforeEach(async () => {
    halfOpen = new ManualHalfOpen();
    agent = await startFlakyAgent();
  });

  afterEach(async () => {
    await h?.close();
    h = undefined;
    await agent.close();
  });

  /** `level message` of every line the controller logged at info and above. */
  let logged: string[];
  const start = async (cfg: Config): Promise<Harness> => {
    logged = [];
    const line = (level: string) => (_obj: object, msg?: string) => void logged.push(`${level} ${msg}`);
    h = await startHarness(cfg, {
      pusherOptions: { backoff: new ConstantBackoff(0), halfOpenAfter: halfOpen },
      logger: { info: line('info'), warn: line('warn'), error: line('error'), debug: () => undefined },
    });
    return h;
  };

  it('counts retries by reason; a push that succeeds on its third attempt leaves the breaker closed', async () => {
    agent.failures = 2;
    const { controller, base } = await start(config([{ name: 'svc', url: agent.url }]));
    await controller.tick(); // the tick `start` began, or one after it
    assert.equal(agent.buffers.stats().capacity, 50, 'applied on the third attempt');
    assert.equal(agent.puts, 3);

    const samples = await metricSamples(base);
    assert.equal(sampleValue(samples, `${pushRetries}{service="svc",reason="5xx"}`), 2);
    for (const reason of ['timeout', 'connection', '429']) {
      assert.equal(sampleValue(samples, `${pushRetries}{service="svc",reason="${reason}"}`), 0, reason);
    }
    assert.deepEqual(states(samples, 'svc'), { closed: 1, open: 0, 'half-open': 0 });
    assert.equal(sampleValue(samples, `${breakerTransitions}{service="svc",to="open"}`), 0);
    const [svc] = await services(base);
    assert.equal(svc?.breaker, 'closed');
    assert.equal(svc?.retries, 2);
  });

  it('opens the breaker after 5 consecutive failures, shows it, and closes it after a good trial', async () => {
    agent.failures = Infinity;
    const { controller, base } = await start(config([{ name: 'svc', url: agent.url }]));
    // Three attempts (two retries), then two more on the next tick: the fifth failure opens it.
    await tickUntilFivePuts(controller, agent);
    assert.equal(agent.puts, 5);
    let samples = await metricSamples(base);
    assert.deepEqual(states(samples, 'svc'), { closed: 0, open: 1, 'half-open': 0 });
    assert.equal(sampleValue(samples, `${breakerTransitions}{service="svc",to="open"}`), 1);
    const retried = sampleValue(samples, `${pushRetries}{service="svc",reason="5xx"}`);
    assert.equal(retried, 4, 'two on each tick; the third attempt of the second met the open breaker');
    let [svc] = await services(base);
    assert.equal(svc?.breaker, 'open');
    assert.equal(svc?.retries, 4);
    assert.equal(svc?.healthy, true, 'its stats still answer: health and breaker are two things');

    // While open, pushes fail fast: nothing reaches the agent.
    await controller.tick();
    assert.equal(agent.puts, 5);
    assert.equal((await services(base))[0]?.breaker, 'open');

    // The half-open delay is over and the agent is well again: one trial, and the breaker closes.
    agent.failures = 0;
    halfOpen.ms = 0;
    await controller.tick();
    assert.equal(agent.puts, 6);
    assert.equal(agent.buffers.stats().capacity, 50);
    samples = await metricSamples(base);
    assert.deepEqual(states(samples, 'svc'), { closed: 1, open: 0, 'half-open': 0 });
    for (const [to, count] of [
      ['open', 1],
      ['half-open', 1],
      ['closed', 1],
    ] as const) {
      assert.equal(sampleValue(samples, `${breakerTransitions}{service="svc",to="${to}"}`), count, to);
    }
    [svc] = await services(base);
    assert.equal(svc?.breaker, 'closed');
    assert.equal(svc?.retries, 4);
    assert.deepEqual(
      logged.filter((l) => l.includes('breaker')),
      [
        'warn breaker open for svc: resizes fail at once until a trial push succeeds',
        'info breaker half-open for svc',
        'info breaker closed for svc',
      ],
    );
  });

  it('a reload that removes a service removes its series and its status', async () => {
    const other = await startRealAgent();
    try {
      const both = config([
        { name: 'svc', url: agent.url },
        { name: 'other', url: other.url },
      ]);
      const { controller, base } = await start(both);
      await controller.tick();
      let samples = await metricSamples(base);
      assert.deepEqual(states(samples, 'other'), { closed: 1, open: 0, 'half-open': 0 });

      assert.equal(
        await controller.reload({ ok: true, config: config([{ name: 'svc', url: agent.url }]) }),
        true,
      );
      samples = await metricSamples(base);
      const ours = Object.values(ACTUATION_METRIC);
      const left = samples.filter((l) => l.includes('service="other"') && ours.some((m) => l.startsWith(m)));
      assert.deepEqual(left, []);
      assert.deepEqual(states(samples, 'svc'), { closed: 1, open: 0, 'half-open': 0 });
      assert.deepEqual(
        (await services(base)).map((s) => s.name),
        ['svc'],
      );
    } finally {
      await other.close();
    }
  });

  it(
    'promtool check metrics finds nothing wrong with an open breaker',
    { skip: skipWithout('promtool', 'prometheus') },
    async () => {
      const promtool = requireProgram('promtool', 'prometheus');
      agent.failures = Infinity;
      const { controller, base } = await start(config([{ name: 'svc', url: agent.url }]));
      await tickUntilFivePuts(controller, agent);
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.match(text, new RegExp(`^${breakerState}\\{service="svc",state="open"\\} 1$`, 'm'));
      const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.error, undefined);
      assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
      assert.equal(r.status, 0);
    },
  );
});
