/**
 * A probe on the page's event stream, installed before the page's own script runs
 * (`page.addInitScript(STREAM_PROBE)`): it wraps `EventSource` so that the test can tell what the
 * page received and did, without changing what it does.
 *
 * - Every stream the page opens (its URL), every `error` and `reset` the streams fire.
 * - Every event received, in order: type, id and data.
 * - Every text `#connection` showed.
 * - Per burst (the events up to and including a `signals` event): when its first event arrived,
 *   how long the page's own handlers ran for it, when the page had applied its `signals` event,
 *   and when the next frame after that came. Figures for a report, never for an assertion.
 */

/** What `window.__streamProbe` holds; read with `page.evaluate(PROBE)`. */
export interface StreamProbe {
  readonly streams: readonly string[];
  readonly errors: number;
  readonly resets: number;
  readonly events: readonly { readonly type: string; readonly id: number; readonly data: string }[];
  readonly connection: readonly string[];
  readonly bursts: readonly BurstTiming[];
}

/** One burst's figures in milliseconds of the page's `performance.now()`. */
export interface BurstTiming {
  readonly events: number;
  /** The page's own event handlers, summed over the burst's events. */
  readonly handlersMs: number;
  /** From the burst's first event arriving to its `signals` event applied. */
  readonly appliedMs: number;
  /** From the burst's first event arriving to the frame after it was applied. */
  readonly frameMs: number | null;
}

/** The expression that reads the probe. */
export const PROBE = 'window.__streamProbe';

export const STREAM_PROBE = `(() => {
  const probe = { streams: [], errors: 0, resets: 0, events: [], connection: [], bursts: [] };
  window.__streamProbe = probe;
  let burst = null;
  const Native = window.EventSource;
  class ProbedEventSource extends Native {
    constructor(url, init) {
      super(url, init);
      probe.streams.push(String(url));
      // Registered before any of the page's listeners: each event is seen here first.
      for (const type of ['decision', 'signals', 'config']) {
        super.addEventListener(type, (e) => {
          burst ??= { first: performance.now(), events: 0, handlersMs: 0 };
          burst.events += 1;
          probe.events.push({ type, id: Number(e.lastEventId), data: e.data });
        });
      }
      super.addEventListener('error', () => (probe.errors += 1));
      super.addEventListener('reset', () => (probe.resets += 1));
    }
    addEventListener(type, listener, options) {
      if (!['decision', 'signals', 'config'].includes(type)) {
        return super.addEventListener(type, listener, options);
      }
      const timed = function (e) {
        const start = performance.now();
        try {
          return typeof listener === 'function' ? listener.call(this, e) : listener.handleEvent(e);
        } finally {
          const end = performance.now();
          if (burst) burst.handlersMs += end - start;
          if (type === 'signals' && burst) {
            const done = burst;
            burst = null;
            const timing = {
              events: done.events,
              handlersMs: done.handlersMs,
              appliedMs: end - done.first,
              frameMs: null,
            };
            probe.bursts.push(timing);
            requestAnimationFrame(() => setTimeout(() => (timing.frameMs = performance.now() - done.first)));
          }
        }
      };
      return super.addEventListener(type, timed, options);
    }
  }
  window.EventSource = ProbedEventSource;
  document.addEventListener('DOMContentLoaded', () => {
    const el = document.getElementById('connection');
    if (!el) return;
    probe.connection.push(el.textContent);
    new MutationObserver(() => probe.connection.push(el.textContent)).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
})();`;
