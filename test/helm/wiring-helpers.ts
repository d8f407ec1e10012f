/**
 * Helpers of the wiring tests: the example rendered, and what a container sees at a path.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { at, only, render } from './manifests.js';
import type { Rendered } from './manifests.js';
import { container, mountHolding, podTemplate, volume } from './pod-spec.js';
import type { Container, PodSpec, PodTemplate } from './pod-spec.js';
import { chartDir } from './renderer.js';

export const chartMeta = (): { appVersion: string } =>
  parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };

/** The example workload rendered with more values, and its two containers. */
export function example(values: object = {}): {
  r: Rendered;
  pod: PodTemplate;
  sidecar: Container;
  nas: Container;
} {
  const r = render({ values: [{ example: { enabled: true } }, values] });
  const pod = podTemplate(only(r, 'Deployment'));
  return { r, pod, sidecar: container(pod.spec, 'poolpilot'), nas: container(pod.spec, 'nas') };
}

/** The content a container sees at `file`: from the ConfigMap or Secret its mount projects. */
export function fileSeenBy(r: Rendered, spec: PodSpec, c: Container, file: string): string {
  const mount = mountHolding(c, file);
  assert.ok(mount, `${c.name}: no mount holds ${file}`);
  assert.equal(mount.subPath, undefined, `${c.name}: ${file} is under a subPath mount, which never updates`);
  const v = volume(spec, mount.name);
  const rel = posix.relative(mount.mountPath, file);
  const source = v.configMap ?? v.secret;
  assert.ok(source, `${file} is in volume ${v.name}, which is neither a ConfigMap nor a Secret`);
  const key = source.items === undefined ? rel : source.items.find((i) => i.path === rel)?.key;
  assert.ok(key !== undefined, `volume ${v.name} projects nothing at ${rel}`);
  if (v.configMap) {
    const configMap = r.manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name === v.configMap?.name,
    );
    const value = at(configMap, 'data', key);
    assert.equal(typeof value, 'string', `ConfigMap ${v.configMap.name} has no key ${key}`);
    return value as string;
  }
  const secret = r.manifests.find((m) => m.kind === 'Secret' && m.metadata.name === v.secret?.secretName);
  assert.ok(secret, `no Secret ${v.secret?.secretName} rendered`);
  const data = at(secret, 'data', key);
  assert.equal(typeof data, 'string', `Secret ${v.secret?.secretName} has no key ${key}`);
  return Buffer.from(data as string, 'base64').toString('utf8');
}

/** The controller configuration in the policy ConfigMap. */
export function policyOf(r: Rendered): { services: { url: string; tokenFile?: string }[] } {
  return parse(String(at(only(r, 'ConfigMap'), 'data', 'policy.yaml'))) as {
    services: { url: string; tokenFile?: string }[];
  };
}

/** Whether a label selector selects these labels. */
export const matches = (selector: object, labels: Readonly<Record<string, string>>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
