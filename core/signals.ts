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
  readonly cache?: Reading;
  /** Load per service name. */
  readonly load: Readonly<Record<string, Reading | undefined>>;
}
