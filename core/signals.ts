/**
 * The signals, where the layers meet: probes produce readings, `decide()` reads them, the
 * controller records and shows them. Types and names only; nothing here reads or decides.
 */

/**
 * A value read from somewhere at some time. Every signal carries when it was read and
 * whether it can be trusted; a rule never acts on a stale or missing reading.
 */
export interface Reading {
  /** 0..1 for signals. */
  readonly value: number;
  /** Milliseconds since the epoch (or the injected clock's origin) when the value was read. */
  readonly at: number;
  /** True when the source could not be read freshly; `reason` says why. */
  readonly stale: boolean;
  readonly reason?: string;
  /** Per-source values behind a combined signal, for the decision's explanation. */
  readonly sources?: Readonly<Record<string, number>>;
}

/** What `decide()` sees at one tick. A missing key is a missing signal. */
export interface Signals {
  /** The node-wide cache signal (the node sources). */
  readonly cache?: Reading;
  /**
   * With the `service` cache source: each service's own container's reading (from the `memory`
   * block of its stats), before it is combined with the node's. A service absent here (or
   * undefined) reports no memory block and falls back to the node's signal.
   */
  readonly serviceCache?: Readonly<Record<string, Reading | undefined>>;
  /** Load per service name. */
  readonly load: Readonly<Record<string, Reading | undefined>>;
}
