/**
 * The real agent plugin on 127.0.0.1, answering 500 to resizes while the test says so, and a
 * configuration that keeps pushing to it: what the actuation telemetry tests steer.
 */
import { loadConfigText } from '../../../policies/loader.js';
import type { Config } from '../../../policies/types.js';
import { startRealAgent } from './servers.js';
import type { RealAgent } from './servers.js';

/** A real agent whose resizes fail while `failures` > 0. */
export interface FlakyAgent extends RealAgent {
  /** How many resize requests are still to be answered 500 (Infinity: all of them). */
  failures: number;
  /** Resize requests that reached the agent, answered or failed. */
  readonly puts: number;
}

export async function startFlakyAgent(): Promise<FlakyAgent> {
  const state = { failures: 0, puts: 0 };
  const agent = await startRealAgent({
    setup: (app) =>
      app.addHook('onRequest', async (request, reply) => {
        if (request.method !== 'PUT') return;
        state.puts++;
        if (state.failures <= 0) return;
        state.failures--;
        return reply.code(500).send({ error: 'internal', message: 'disk on fire' });
      }),
  });
  return {
    url: agent.url,
    app: agent.app,
    buffers: agent.buffers,
    resizes: agent.resizes,
    close: () => agent.close(),
    get failures() {
      return state.failures;
    },
    set failures(n: number) {
      state.failures = n;
    },
    get puts() {
      return state.puts;
    },
  };
}

/**
 * A configuration whose services each have a pool `buffers` wanted at 50 (the agent has 100),
 * under a policy that holds: every tick pushes 50 until the agent has it.
 */
export function pushingConfig(
  services: ReadonlyArray<{ readonly name: string; readonly url: string }>,
): Config {
  const list = services
    .map(
      (s) =>
        `  - { name: ${s.name}, url: "${s.url}", mode: enforce, pools: [{ name: buffers, base: 50, min: 10, max: 500 }] }`,
    )
    .join('\n');
  const result = loadConfigText(
    `apiVersion: poolpilot/v1
policy:
  name: breaker-telemetry
  interval: 1s
  fastPath: 'off'
  signals:
    cache: { sources: [meminfo] }
  rules:
    - do: hold
services:
${list}
`,
    'telemetry.yaml',
  );
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.config;
}

/**
 * Ticks `controller` (which may be ticking already: `poolpilot run` ticks at start) until five
 * resizes have reached `agent`, the breaker's default threshold; at most five ticks.
 */
export async function tickUntilFivePuts(
  controller: { tick(): Promise<void> },
  agent: FlakyAgent,
): Promise<void> {
  for (let i = 0; i < 5 && agent.puts < 5; i++) await controller.tick();
}
