/**
 * A controller on fakes: the seed policy over one service `nas` (the reference NAS's three
 * pools), cache pressure 0.8 (so every pool shrinks every 5 s), a healthy service that reports
 * capacities 1024/256/2048, a pusher that takes every resize, a ManualClock and a
 * ManualScheduler (ticks run only when the test calls them).
 */
import { Controller } from '../../controller/controller.js';
import type { ControllerOptions } from '../../controller/controller-options.js';
import type { ServiceObservation } from '../../controller/sensing.js';
import { seedConfig } from './config.js';
import { ManualClock } from './manual-clock.js';
import { ManualScheduler } from './manual-scheduler.js';

/** Where the fake controllers' clocks start, unless a test gives its own. */
export const FAKE_START = 1_700_000_000_000;

export interface FakeControllerOptions {
  readonly clock?: ManualClock;
  /** The load the service reports (default 0.1); `null`: observations without a load. */
  readonly load?: number | null;
  /** Anything else the controller takes, or a fake replaced (logger, events, observe, pusher...). */
  readonly with?: Partial<ControllerOptions>;
}

export function fakeController(o: FakeControllerOptions = {}): {
  controller: Controller;
  clock: ManualClock;
} {
  const clock = o.clock ?? new ManualClock(FAKE_START);
  const load = o.load === undefined ? 0.1 : o.load;
  const controller = new Controller({
    config: seedConfig({ url: 'http://127.0.0.1:9' }),
    source: 'test.yaml',
    cache: { collect: () => ({ value: 0.8, at: clock.now(), stale: false }) },
    observe: async (): Promise<ServiceObservation> => ({
      ok: true,
      at: clock.now(),
      capacities: { buffers: 1024, handles: 256, metadata: 2048 },
      ...(load === null ? {} : { load }),
    }),
    pusher: {
      push: async (req) => ({ ok: true, capacity: req.capacity, previous: null }),
      close: async () => undefined,
    },
    clock,
    scheduler: new ManualScheduler(),
    ...o.with,
  });
  return { controller, clock };
}
