/**
 * A controller over 1,000 pools, for the tests of a tick that decides for them all in one turn
 * (a burst of 1,000 decision events): one service `nas` whose pools `p0`…`p999` start at
 * distinct bases, the fake controller's cache 0.8 (every pool shrinks every 5 s), a service
 * that reports as each pool's capacity the last one pushed to it, a ManualClock and ticks run
 * only when the test calls them.
 */
import type { Controller } from '../../controller/controller.js';
import type { ControllerOptions } from '../../controller/controller-options.js';
import type { ServiceObservation } from '../../controller/sensing.js';
import { configOrThrow, loadConfigText } from '../../policies/loader.js';
import { fakeController, FAKE_START } from './fake-controller.js';
import { ManualClock } from './manual-clock.js';

export const MANY_POOLS = 1000;

/** The configuration: pool `p<i>` with base 1000 + i, min 10, max 5000. */
export function manyPoolsYaml(count = MANY_POOLS): string {
  const pools = Array.from(
    { length: count },
    (_, i) => `      - { name: p${i}, base: ${1000 + i}, min: 10, max: 5000 }`,
  );
  return `apiVersion: poolpilot/v1
policy:
  name: burst
services:
  - name: nas
    url: http://127.0.0.1:9
    mode: enforce
    pools:
${pools.join('\n')}
`;
}

/** A fake controller over `manyPoolsYaml(count)`, not started; `extra` replaces any other part. */
export function manyPoolsController(
  count = MANY_POOLS,
  extra: Partial<ControllerOptions> = {},
): { controller: Controller; clock: ManualClock } {
  const clock = new ManualClock(FAKE_START);
  const capacities: Record<string, number> = Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`p${i}`, 1000 + i]),
  );
  return fakeController({
    clock,
    with: {
      config: configOrThrow(loadConfigText(manyPoolsYaml(count), 'burst.yaml')),
      observe: async (): Promise<ServiceObservation> => ({
        ok: true,
        at: clock.now(),
        capacities: { ...capacities },
        load: 0.1,
      }),
      pusher: {
        push: async (req) => {
          const previous = capacities[req.pool] ?? null;
          capacities[req.pool] = req.capacity;
          return { ok: true, capacity: req.capacity, previous };
        },
        close: async () => undefined,
      },
      ...extra,
    },
  });
}
