/**
 * The operator's overrides (`PUT .../override`), keyed by pool. When one ends is the policy's
 * rule (`policies/overrides.ts`); this store only keeps what was set and cleared.
 */
import { poolKey } from '../policies/decision.js';
import type { Override } from '../policies/decision.js';
import { activeOverrides } from '../policies/overrides.js';

export class OverridesStore {
  private overrides: Readonly<Record<string, Override>>;

  /** `initial`: restored from the state directory, keyed by `poolKey(service, pool)`. */
  constructor(initial: Readonly<Record<string, Override>> = {}) {
    this.overrides = { ...initial };
  }

  /** Pins a pool's capacity until `override.until`. */
  set(service: string, pool: string, override: Override): void {
    this.overrides = { ...this.overrides, [poolKey(service, pool)]: override };
  }

  /** Removes a pool's override; nothing happens when there is none. */
  clear(service: string, pool: string): void {
    const next = { ...this.overrides };
    delete next[poolKey(service, pool)];
    this.overrides = next;
  }

  /** Every override set and not cleared, ended ones included (`decide()` ignores those). */
  all(): Readonly<Record<string, Override>> {
    return this.overrides;
  }

  /** The overrides still in force at `now`, keyed by `poolKey`; a pure read. */
  active(now: number): Readonly<Record<string, Override>> {
    return activeOverrides(this.overrides, now);
  }
}
