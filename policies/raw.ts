/**
 * The raw shape of a configuration document as written, once it matches the JSON schema: before
 * defaults, durations still as written.
 */
import type { CacheSource, Mode, OnMissing, PromLoadTerm } from './types.js';
import type { CgroupReading } from '../core/signal-specs.js';

/** A duration as written: milliseconds or a string such as `1s`. */
export type RawDuration = number | string;
export interface RawBand {
  readonly low: number;
  readonly high: number;
  readonly tolerance?: number;
}
export type RawAction =
  | 'hold'
  | { readonly shrink: { readonly factor: number; readonly every: RawDuration } }
  | { readonly grow: { readonly rate: number; readonly per: RawDuration } }
  | { readonly linear: { readonly intercept: number; readonly cache: number; readonly load: number } };
export interface RawRule {
  readonly when?: Readonly<Record<string, string | readonly string[]>>;
  readonly do: RawAction;
}
export interface RawPolicy {
  readonly name: string;
  readonly interval?: RawDuration;
  readonly fastPath?: RawDuration;
  readonly staleAfter?: RawDuration;
  readonly onMissing?: OnMissing;
  readonly signals?: {
    readonly cache?: {
      readonly sources?: readonly CacheSource[];
      readonly psiSaturation?: number;
      readonly cgroupPath?: string;
      readonly refaultSaturation?: number;
      readonly cgroupReading?: CgroupReading;
    };
    readonly load?: { readonly delayLimitMs?: number };
  };
  readonly bands?: { readonly cache?: RawBand; readonly load?: RawBand };
  readonly rules?: readonly RawRule[];
}
export interface RawPool {
  readonly name: string;
  readonly base: number;
  readonly min: number;
  readonly max: number;
}
/** A service's `load` block as written; its terms already have the typed shape. */
export interface RawServiceLoad {
  readonly prometheus: {
    readonly url: string;
    readonly tokenFile?: string;
    readonly terms: readonly PromLoadTerm[];
  };
}
export interface RawService {
  readonly name: string;
  readonly url: string;
  readonly mode: Mode;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly load?: RawServiceLoad;
  readonly pools: readonly RawPool[];
}
export interface RawSchedule {
  readonly name: string;
  readonly cron: string;
  readonly duration: RawDuration;
  readonly timezone?: string;
  readonly pools: Readonly<
    Record<string, { readonly base?: number; readonly min?: number; readonly max?: number }>
  >;
}
/** The document once it matches the schema (schema.ts `configSchema`). */
export interface RawConfig {
  readonly apiVersion: 'poolpilot/v1';
  readonly policy: RawPolicy;
  readonly services: readonly RawService[];
  readonly schedules?: readonly RawSchedule[];
  readonly shadow?: string;
}
