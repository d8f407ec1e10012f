/**
 * The value sets the chart is rendered with: the defaults, each switch on alone, and all at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir } from './renderer.js';

export const SCENARIOS: Readonly<Record<string, object>> = {
  defaults: {},
  'example workload': { example: { enabled: true } },
  'example serving an existing claim': { example: { enabled: true, data: { existingClaim: 'nas-data' } } },
  ServiceMonitor: { serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } } },
  'Grafana dashboard': { dashboard: { enabled: true, namespace: 'monitoring' } },
  'state on a created PVC': { example: { enabled: true }, state: { persistence: { enabled: true } } },
  'state on an existing PVC': { state: { persistence: { enabled: true, existingClaim: 'poolpilot-state' } } },
  'pod cgroup mounted': {
    example: { enabled: true },
    cgroup: { enabled: true, root: '/host/sys/fs/cgroup/kubepods/burstable/pod$(POD_UID)' },
    config: { policy: { signals: { cache: { sources: ['meminfo', 'psi', 'cgroup'] } } } },
  },
  'existing Secret': { example: { enabled: true }, auth: { existingSecret: 'nas-tokens' } },
  'Service off': { service: { enabled: false } },
  'everything on': {
    example: { enabled: true, replicas: 1 },
    serviceMonitor: { enabled: true },
    dashboard: { enabled: true },
    state: { persistence: { enabled: true, storageClassName: 'fast-ssd' } },
    cgroup: { enabled: true },
    auth: { apiToken: 'api-token-value', serviceToken: 'service-token-value' },
    image: { digest: `sha256:${'a'.repeat(64)}` },
    imagePullSecrets: [{ name: 'registry' }],
    sidecar: { extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=192' }] },
  },
};

/** The chart's values.yaml, parsed as helm reads it. */
export function chartDefaults(): Record<string, unknown> {
  return parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'), { version: '1.1' }) as Record<
    string,
    unknown
  >;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Helm's merge of user values over defaults: maps merge, other values replace, null deletes. */
export function mergeValues(defaults: Record<string, unknown>, user: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    const base = out[key];
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(base)) out[key] = mergeValues(base, value);
    else out[key] = value;
  }
  return out;
}
