/**
 * The typed, frozen {@link Config} of a document that passed every check: defaults filled in,
 * durations in milliseconds, bands of a rule as lists.
 */
import { parseDuration } from './duration.js';
import { DEFAULT_TOLERANCE, POLICY_DEFAULTS } from './schema.js';
import type { RawAction, RawBand, RawConfig, RawDuration, RawSchedule, RawService } from './raw.js';
import type {
  Action,
  BandName,
  BandSpec,
  Config,
  PromLoadTerm,
  Rule,
  ScheduleSpec,
  ServiceSpec,
  SignalName,
} from './types.js';

function ms(value: RawDuration | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const r = parseDuration(value);
  if (!r.ok) throw new Error(`unchecked duration ${String(value)}`); // semanticProblems rules this out
  return r.ms;
}

function toAction(raw: RawAction): Action {
  if (raw === 'hold') return { kind: 'hold' };
  if ('shrink' in raw) return { kind: 'shrink', factor: raw.shrink.factor, everyMs: ms(raw.shrink.every, 0) };
  if ('grow' in raw) return { kind: 'grow', rate: raw.grow.rate, perMs: ms(raw.grow.per, 0) };
  return { kind: 'linear', ...raw.linear };
}

function toBand(raw: RawBand | undefined, fallback: BandSpec): BandSpec {
  return raw === undefined
    ? fallback
    : { low: raw.low, high: raw.high, tolerance: raw.tolerance ?? DEFAULT_TOLERANCE };
}

function toTerm(t: PromLoadTerm): PromLoadTerm {
  return {
    metric: t.metric,
    ...(t.labels === undefined ? {} : { labels: { ...t.labels } }),
    ...(t.quantile === undefined ? {} : { quantile: t.quantile }),
    ...(t.per === undefined ? {} : { per: t.per }),
    limit: t.limit,
  };
}

function toService(s: RawService): ServiceSpec {
  const prometheus = s.load?.prometheus;
  return {
    name: s.name,
    url: s.url,
    mode: s.mode,
    ...(s.token !== undefined ? { token: s.token } : {}),
    ...(s.tokenFile !== undefined ? { tokenFile: s.tokenFile } : {}),
    ...(prometheus !== undefined
      ? {
          load: {
            prometheus: {
              url: prometheus.url,
              ...(prometheus.tokenFile !== undefined ? { tokenFile: prometheus.tokenFile } : {}),
              terms: prometheus.terms.map(toTerm),
            },
          },
        }
      : {}),
    pools: s.pools.map((pool) => ({ name: pool.name, base: pool.base, min: pool.min, max: pool.max })),
  };
}

function toSchedule(s: RawSchedule): ScheduleSpec {
  return {
    name: s.name,
    cron: s.cron,
    durationMs: ms(s.duration, 0),
    ...(s.timezone === undefined ? {} : { timezone: s.timezone }),
    pools: Object.fromEntries(Object.entries(s.pools).map(([key, b]) => [key, { ...b }])),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The typed, frozen config of a document that passed every check, defaults filled in. */
export function buildConfig(raw: RawConfig): Config {
  const p = raw.policy;
  const d = POLICY_DEFAULTS;
  const rules: Rule[] | undefined = p.rules?.map((r) => {
    const when: Partial<Record<SignalName, readonly BandName[]>> = {};
    for (const [signal, bands] of Object.entries(r.when ?? {})) {
      when[signal as SignalName] = [...new Set(typeof bands === 'string' ? [bands] : bands)] as BandName[];
    }
    return { when, action: toAction(r.do) };
  });
  const cache = p.signals?.cache;
  const config: Config = {
    apiVersion: raw.apiVersion,
    policy: {
      name: p.name,
      intervalMs: ms(p.interval, d.intervalMs),
      fastPathMs: p.fastPath === undefined ? d.fastPathMs : p.fastPath === 'off' ? null : ms(p.fastPath, 0),
      staleAfterMs: ms(p.staleAfter, d.staleAfterMs),
      onMissing: p.onMissing ?? d.onMissing,
      signals: {
        cache: {
          sources: cache?.sources ? [...cache.sources] : d.signals.cache.sources,
          psiSaturation: cache?.psiSaturation ?? d.signals.cache.psiSaturation,
          ...(cache?.cgroupPath === undefined ? {} : { cgroupPath: cache.cgroupPath }),
          ...(cache?.cgroupReading === undefined ? {} : { cgroupReading: cache.cgroupReading }),
          refaultSaturation: cache?.refaultSaturation ?? d.signals.cache.refaultSaturation,
        },
        load: { delayLimitMs: p.signals?.load?.delayLimitMs ?? d.signals.load.delayLimitMs },
      },
      bands: { cache: toBand(p.bands?.cache, d.bands.cache), load: toBand(p.bands?.load, d.bands.load) },
      rules: rules ?? d.rules,
    },
    services: raw.services.map(toService),
    ...(raw.schedules === undefined ? {} : { schedules: raw.schedules.map(toSchedule) }),
    ...(raw.shadow === undefined ? {} : { shadow: raw.shadow }),
  };
  return deepFreeze(structuredClone(config));
}
