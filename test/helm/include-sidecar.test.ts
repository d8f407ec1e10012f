/**
 * The path the README gives a user with a NAS chart of their own: poolpilot as a dependency, and
 * `poolpilot.sidecar`, `poolpilot.volumes`, `poolpilot.podLabels` included in their Deployment
 * (test/helm/fixtures/my-nas). The result must be a valid Deployment whose sidecar finds the
 * subchart's ConfigMap and Secret, behind the subchart's Service.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/paths.js';
import { hasModel, typeCheck, validateWithModel } from './kube-schemas.js';
import { at, only, render } from './manifests.js';
import type { Rendered } from './manifests.js';
import { container, danglingVolumes, podTemplate, restrictedViolations, volume } from './pod-spec.js';
import { chartDir, renderRaw, skipWithoutRenderer } from './renderer.js';

const skip = skipWithoutRenderer;
let work: string;
let chart: string;
let r: Rendered;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'poolpilot-helm-parent-'));
  chart = join(work, 'my-nas');
  cpSync(join(repoRoot, 'test', 'helm', 'fixtures', 'my-nas'), chart, { recursive: true });
  cpSync(chartDir, join(chart, 'charts', 'poolpilot'), { recursive: true });
  if (!skip) r = render({ chart, release: 'shop' });
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("the sidecar included in another chart's Deployment", () => {
  test("renders the user's Deployment and the subchart's objects", { skip }, () => {
    assert.deepEqual(
      r.manifests.map((m) => `${m.kind} ${m.metadata.name} ${m.source}`),
      [
        'Secret shop-poolpilot-tokens my-nas/charts/poolpilot/templates/secret.yaml',
        'ConfigMap shop-poolpilot my-nas/charts/poolpilot/templates/configmap.yaml',
        'Service shop-poolpilot my-nas/charts/poolpilot/templates/service.yaml',
        'Deployment shop-my-nas my-nas/templates/deployment.yaml',
      ],
    );
  });

  test('every manifest passes its Kubernetes schema and type check', { skip }, async () => {
    for (const m of r.manifests) {
      if (hasModel(m.apiVersion, m.kind)) assert.equal(await validateWithModel(m), undefined);
    }
    assert.deepEqual(typeCheck(r.manifests), []);
  });

  test("the sidecar mounts the subchart's ConfigMap and Secret, with the parent's policy", { skip }, () => {
    const pod = podTemplate(only(r, 'Deployment'));
    assert.deepEqual(
      pod.spec.containers.map((c) => c.name),
      ['nas', 'poolpilot'],
    );
    assert.deepEqual(danglingVolumes(pod.spec), []);
    assert.deepEqual(restrictedViolations({ containers: [container(pod.spec, 'poolpilot')] }), []);
    assert.equal(volume(pod.spec, 'poolpilot-config').configMap?.name, only(r, 'ConfigMap').metadata.name);
    assert.equal(volume(pod.spec, 'poolpilot-tokens').secret?.secretName, only(r, 'Secret').metadata.name);
    const policy = parse(String(at(only(r, 'ConfigMap'), 'data', 'policy.yaml'))) as {
      policy: { name: string };
    };
    assert.equal(policy.policy.name, 'my-nas');
    assert.equal(container(pod.spec, 'poolpilot').image, 'poolpilot:0.1.0');
  });

  test("the subchart's Service selects the user's pods by the included label", { skip }, () => {
    const labels = podTemplate(only(r, 'Deployment')).metadata.labels;
    const selector = at(only(r, 'Service'), 'spec', 'selector') as Record<string, string>;
    assert.ok(
      Object.entries(selector).every(([k, v]) => labels[k] === v),
      JSON.stringify({ selector, labels }),
    );
    assert.equal(labels.app, 'my-nas', "the user's own labels stay");
  });

  test('without image.tag the include fails and says why', { skip }, () => {
    const result = renderRaw({ chart, release: 'shop', values: [{ poolpilot: { image: { tag: '' } } }] });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /image\.tag is required when the sidecar is included from another chart/);
  });
});
