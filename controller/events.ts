/**
 * The controller's event stream, before any transport: each event gets the next id of the
 * process (1, 2, 3, … across every type), its data serialized once as one line of JSON, and a
 * place in a ring of the latest events so that a client that reconnects can be sent what it
 * missed. `GET /api/v1/events` (controller/api/events.ts) carries it as Server-Sent Events.
 */
import { healthStatus } from './status.js';
import type { PoolHealthStatus, SignalStatus, StatusDocument } from './status.js';

/** The kinds of event the controller publishes. */
export const EVENT_TYPES = ['decision', 'signals', 'config'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One published event; `data` is one line of JSON (no line break can occur in it). */
export interface HubEvent {
  readonly id: number;
  readonly type: EventType;
  readonly data: string;
}

/** Told every event, synchronously, in order. */
export type EventListener = (event: HubEvent) => void;

/** What a client that last saw `lastId` is to be sent, see `EventHub.since`. */
export interface Replay {
  /** The buffered events after `lastId`, oldest first. */
  readonly events: readonly HubEvent[];
  /**
   * True when events after `lastId` are no longer all in the ring (it was older than the ring),
   * or when `lastId` is newer than any event of this process (it came from an earlier one): the
   * client cannot be brought up to date by replay and must reload its state.
   */
  readonly reset: boolean;
}

export interface EventHubOptions {
  /** How many of the latest events are kept for replay; 4096 by default. */
  readonly capacity?: number;
  /** Told when a listener throws; the event still reaches the other listeners. */
  readonly onListenerError?: (err: unknown) => void;
}

/**
 * The default number of events kept for replay: a few ticks of 1,000 pools (one decision event each),
 * so that a page that subscribes from its snapshot's id after such a tick replays it whole.
 */
export const DEFAULT_EVENT_RING = 4096;

/** Publishes events to subscribers and keeps the latest ones for replay. */
export class EventHub {
  private readonly capacity: number;
  private readonly onListenerError: (err: unknown) => void;
  /** A ring of `capacity` slots; `ring[(id - 1) % capacity]` holds event `id` while it is kept. */
  private readonly ring: HubEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  private last = 0;

  constructor(options: EventHubOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_EVENT_RING;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`the event ring needs a positive whole capacity, got ${capacity}`);
    }
    this.capacity = capacity;
    this.onListenerError = options.onListenerError ?? (() => undefined);
  }

  /** The id of the latest event, 0 before the first. */
  get lastId(): number {
    return this.last;
  }

  /** The id of the oldest event still kept, or `lastId + 1` while none is. */
  get firstId(): number {
    return Math.max(1, this.last - this.ring.length + 1);
  }

  /** How many listeners are subscribed. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Publishes `payload` (serialized with `JSON.stringify`, so `NaN` and infinities become `null`)
   * as the next event, and tells every listener before returning. A listener that throws is
   * reported to `onListenerError`; it never stops the publisher.
   */
  publish(type: EventType, payload: unknown): HubEvent {
    const event: HubEvent = { id: ++this.last, type, data: JSON.stringify(payload) ?? 'null' };
    this.ring[(event.id - 1) % this.capacity] = event;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    return event;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * The kept events after `lastId` (a client's `Last-Event-ID`), and whether that cannot bring
   * the client up to date (see `Replay.reset`). Called in the same synchronous turn as
   * `subscribe`, no event is missed or sent twice.
   */
  since(lastId: number): Replay {
    const first = this.firstId;
    const reset = lastId > this.last || lastId < first - 1;
    const from = reset ? first : lastId + 1;
    const events: HubEvent[] = [];
    for (let id = from; id <= this.last; id++) events.push(this.ring[(id - 1) % this.capacity] as HubEvent);
    return { events, reset };
  }
}

/** One pool in a `signals` event, with its health as in the status (README "Pool health"). */
export interface PoolTargetView extends PoolHealthStatus {
  readonly service: string;
  readonly pool: string;
  /** As the service last reported it (null before it answered once). */
  readonly capacity: number | null;
  readonly target: number;
  readonly min: number;
  readonly max: number;
  /** The reason of the decision that set `target` (of the same tick or sample), null before one. */
  readonly reason: string | null;
  /** The schedule whose bounds hold the pool, if any. */
  readonly schedule?: string;
  /** The shadow policy's target; only while one is in force. */
  readonly shadowTarget?: number;
}

/** The data of a `signals` event: the signals a tick read and every pool's target after it. */
export interface SignalsEvent {
  /** ISO time of the tick. */
  readonly at: string;
  readonly cache: SignalStatus;
  readonly load: Readonly<Record<string, SignalStatus>>;
  /** Each service's cache signal (`services[].cache` of the status). */
  readonly serviceCache: Readonly<Record<string, SignalStatus>>;
  readonly pools: readonly PoolTargetView[];
  readonly paused: boolean;
  /** The configured schedules (status `schedules`), when there are any. */
  readonly schedules?: StatusDocument['schedules'];
}

/** The `signals` event of a status document, as of `at`. */
export function signalsEvent(status: StatusDocument, at: string): SignalsEvent {
  return {
    at,
    cache: status.signals.cache,
    load: status.signals.load,
    serviceCache: Object.fromEntries(status.services.map((s) => [s.name, s.cache])),
    pools: status.services.flatMap((s) =>
      s.pools.map((p) => ({
        service: s.name,
        pool: p.name,
        capacity: p.capacity,
        target: p.target,
        min: p.min,
        max: p.max,
        reason: p.reason,
        ...(p.schedule === undefined ? {} : { schedule: p.schedule }),
        ...(p.shadowTarget === undefined ? {} : { shadowTarget: p.shadowTarget }),
        ...healthStatus(p),
      })),
    ),
    paused: status.paused,
    ...(status.schedules === undefined || status.schedules.length === 0
      ? {}
      : { schedules: status.schedules }),
  };
}
