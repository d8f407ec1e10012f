/**
 * `GET /api/v1/policy`: the policy in force, read-only, as the dashboard needs it to draw the band
 * thresholds and to say what each rule does. The name, load time and last reload error are in
 * `/api/v1/status`; this is the rest of the `policy:` block, durations in milliseconds.
 */
import type { FastifyPluginAsync } from 'fastify';
import { formatDuration } from '../../policies/duration.js';
import { SIGNAL_NAMES } from '../../policies/types.js';
import type {
  Action,
  BandName,
  BandSpec,
  OnMissing,
  Policy,
  Rule,
  SignalName,
} from '../../policies/types.js';
import { errorSchema } from './errors.js';

/** One rule of the policy, in its order; `index` is what a decision's `rule` refers to. */
export interface RuleView {
  readonly index: number;
  /** The bands each named signal must be in; a signal not named matches any band. */
  readonly when: Readonly<Partial<Record<SignalName, readonly BandName[]>>>;
  readonly action: Action['kind'];
  /** One line for a human: `cache high -> shrink x 0.8 every 5s`. */
  readonly summary: string;
}

/** The document of `GET /api/v1/policy`. */
export interface PolicyDocument {
  readonly name: string;
  readonly intervalMs: number;
  /** Null when the fast path is off. */
  readonly fastPathMs: number | null;
  readonly staleAfterMs: number;
  readonly onMissing: OnMissing;
  readonly bands: Readonly<Record<SignalName, BandSpec>>;
  readonly rules: readonly RuleView[];
}

export interface PolicyRouteOptions {
  /** The policy in force at the time of the request (it changes on reload). */
  readonly policy: () => Policy;
}

/** The document for `policy`. Pure. */
export function policyDocument(policy: Policy): PolicyDocument {
  return {
    name: policy.name,
    intervalMs: policy.intervalMs,
    fastPathMs: policy.fastPathMs,
    staleAfterMs: policy.staleAfterMs,
    onMissing: policy.onMissing,
    bands: { cache: { ...policy.bands.cache }, load: { ...policy.bands.load } },
    rules: policy.rules.map((rule, index) => ({
      index,
      when: { ...rule.when },
      action: rule.action.kind,
      summary: describeRule(rule),
    })),
  };
}

/** `cache high, load low|mid -> grow +10%/1m`; a rule that names no signal reads `always`. */
export function describeRule(rule: Rule): string {
  const conditions = SIGNAL_NAMES.flatMap((name) => {
    const bands = rule.when[name];
    return bands === undefined ? [] : [`${name} ${bands.join('|')}`];
  });
  return `${conditions.length > 0 ? conditions.join(', ') : 'always'} -> ${describeAction(rule.action)}`;
}

function describeAction(action: Action): string {
  switch (action.kind) {
    case 'hold':
      return 'hold';
    case 'shrink':
      return `shrink x ${action.factor} every ${formatDuration(action.everyMs)}`;
    case 'grow':
      return `grow +${Number((action.rate * 100).toFixed(2))}%/${formatDuration(action.perMs)}`;
    case 'linear':
      return `linear base x (${action.intercept} + ${action.cache} x cache + ${action.load} x load)`;
  }
}

const bandSpecSchema = {
  type: 'object',
  required: ['low', 'high', 'tolerance'],
  properties: { low: { type: 'number' }, high: { type: 'number' }, tolerance: { type: 'number' } },
} as const;

const bandList = { type: 'array', items: { type: 'string', enum: ['low', 'mid', 'high'] } } as const;

/** The answer's schema; objects stay open so that fields added later reach the client. */
export const policySchema = {
  type: 'object',
  additionalProperties: true,
  required: ['name', 'intervalMs', 'fastPathMs', 'staleAfterMs', 'onMissing', 'bands', 'rules'],
  properties: {
    name: { type: 'string' },
    intervalMs: { type: 'number' },
    fastPathMs: { type: ['number', 'null'] },
    staleAfterMs: { type: 'number' },
    onMissing: { type: 'string' },
    bands: {
      type: 'object',
      required: ['cache', 'load'],
      properties: { cache: bandSpecSchema, load: bandSpecSchema },
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        required: ['index', 'when', 'action', 'summary'],
        properties: {
          index: { type: 'integer' },
          when: { type: 'object', properties: { cache: bandList, load: bandList } },
          action: { type: 'string' },
          summary: { type: 'string' },
        },
      },
    },
  },
} as const;

/** Registers `GET /api/v1/policy`. */
export const policyRoute: FastifyPluginAsync<PolicyRouteOptions> = async (app, options) => {
  const schema = {
    summary: 'The policy in force: timing, band thresholds, and each rule in words',
    response: { 200: policySchema, '4xx': errorSchema },
  };
  app.get('/api/v1/policy', { schema }, async () => policyDocument(options.policy()));
};
