/**
 * A controller as `poolpilot run` builds it (real stats observer, real HTTP pusher, real /proc
 * probe over a captured /proc, the HTTP API on 127.0.0.1:0), ticked by the test.
 */
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../controller/api/server.js';
import { Controller } from '../../controller/controller.js';
import type { ControllerOptions } from '../../controller/controller-options.js';
import { statsObserver } from '../../controller/observer.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';
import { loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import { CacheSignalProbe } from '../../probes/cache-signal.js';
import { FakeProcRoot } from '../helpers/proc-root.js';

export interface ServiceYaml {
  readonly name: string;
  readonly url: string;
  readonly pools: readonly string[];
}

/** A policy that grows on high load and holds otherwise, over `services` (pools base 100). */
export function policyYaml(services: readonly ServiceYaml[], interval = '1s'): string {
  const list = services
    .map(
      (s) => `  - name: "${s.name}"
    url: ${s.url}
    mode: enforce
    pools:
${s.pools.map((p) => `      - { name: "${p}", base: 100, min: 10, max: 1000 }`).join('\n')}`,
    )
    .join('\n');
  return `apiVersion: poolpilot/v1
policy:
  name: ctl-security
  interval: ${interval}
  fastPath: 'off'
  signals:
    cache: { sources: [meminfo] }
  rules:
    - when: { load: high }
      do: { linear: { intercept: 1.5, cache: 0, load: 0 } }
    - do: hold
services:
${list}
`;
}

export function parseConfig(yaml: string): Config {
  const result = loadConfigText(yaml, 'ctl.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  return result.config;
}

export interface Harness {
  readonly controller: Controller;
  readonly server: FastifyInstance;
  readonly base: string;
  /** Stops the controller and the server, removes the /proc copy. */
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Tick on the policy's schedule as `poolpilot run` does, instead of when the test says. */
  readonly scheduled?: boolean;
}

export async function startHarness(
  config: Config,
  extra: Partial<ControllerOptions> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const proc = new FakeProcRoot(0.1);
  const controller = new Controller({
    config,
    source: 'ctl.yaml',
    cache: new CacheSignalProbe({ procRoot: proc.dir, spec: config.policy.signals.cache }),
    observe: statsObserver({ timeoutMs: 5000 }),
    ...(options.scheduled ? {} : { scheduler: new ManualScheduler() }),
    fastScheduler: new ManualScheduler(),
    ...extra,
  });
  const server = await buildServer({ controller, listenHost: '127.0.0.1' });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  controller.start();
  return {
    controller,
    server,
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      try {
        await controller.stop();
        await server.close();
      } finally {
        proc.remove();
      }
    },
  };
}

/** The lines of `/metrics` that are samples (not `#` comments). */
export async function metricSamples(base: string): Promise<string[]> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return (await res.text()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** The value of one sample line, e.g. `poolpilot_unknown_pools_total{service="nas"}`, or undefined. */
export function sampleValue(samples: readonly string[], series: string): number | undefined {
  const line = samples.find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
