/**
 * Each value switch does what values.yaml says: tokens, an existing Secret, persistence, the
 * cgroup mount, the dashboard, the example's data, the image, names, NOTES.txt.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { at, only, render } from './manifests.js';
import type { Manifest } from './manifests.js';
import { container, envOf, mountHolding, podTemplate, volume } from './pod-spec.js';
import { chartDir, renderer, skipWithoutRenderer } from './renderer.js';
import { SCENARIOS } from './scenarios.js';
import { chartMeta, example } from './wiring-helpers.js';

const skip = skipWithoutRenderer;

describe('each value switch', () => {
  test('tokens: generated (40 characters, two different ones), or as set, base64', { skip }, () => {
    const generated = only(render(), 'Secret');
    const data = at(generated, 'data') as Record<string, string>;
    const decoded = Object.values(data).map((v) => Buffer.from(v, 'base64').toString());
    assert.deepEqual(Object.keys(data).sort(), ['api-token', 'service-token']);
    for (const token of decoded) assert.match(token, /^[A-Za-z0-9]{40}$/);
    assert.notEqual(decoded[0], decoded[1]);
    const set = only(
      render({ values: [{ auth: { apiToken: 'a-token', serviceToken: 's-token' } }] }),
      'Secret',
    );
    assert.equal(at(set, 'data', 'api-token'), Buffer.from('a-token').toString('base64'));
    assert.equal(at(set, 'data', 'service-token'), Buffer.from('s-token').toString('base64'));
  });

  test("an existing Secret replaces the chart's, with its own key names", { skip }, () => {
    const r = render({
      values: [
        {
          example: { enabled: true },
          auth: { existingSecret: 'nas-tokens', apiTokenKey: 'api', serviceTokenKey: 'svc' },
        },
      ],
    });
    assert.equal(r.manifests.filter((m) => m.kind === 'Secret').length, 0);
    const pod = podTemplate(only(r, 'Deployment'));
    const tokens = volume(pod.spec, 'poolpilot-tokens').secret;
    assert.equal(tokens?.secretName, 'nas-tokens');
    assert.deepEqual(tokens?.items, [
      { key: 'api', path: 'api-token' },
      { key: 'svc', path: 'service-token' },
    ]);
    assert.equal(tokens?.defaultMode, 0o444);
  });

  test('state persistence: a created claim (and Recreate), or an existing one', { skip }, () => {
    const created = render({ values: [SCENARIOS['state on a created PVC'] ?? {}] });
    const claim = only(created, 'PersistentVolumeClaim');
    const pod = podTemplate(only(created, 'Deployment'));
    assert.equal(volume(pod.spec, 'poolpilot-state').persistentVolumeClaim?.claimName, claim.metadata.name);
    assert.equal(at(only(created, 'Deployment'), 'spec', 'strategy', 'type'), 'Recreate');
    assert.equal(at(claim, 'spec', 'resources', 'requests', 'storage'), '1Gi');
    const existing = render({
      values: [{ example: { enabled: true } }, SCENARIOS['state on an existing PVC'] ?? {}],
    });
    assert.equal(existing.manifests.filter((m) => m.kind === 'PersistentVolumeClaim').length, 0);
    const pod2 = podTemplate(only(existing, 'Deployment'));
    assert.equal(volume(pod2.spec, 'poolpilot-state').persistentVolumeClaim?.claimName, 'poolpilot-state');
  });

  test('cgroup: the node hierarchy read-only, POD_UID before the root that expands it', { skip }, () => {
    const { pod, sidecar } = example(SCENARIOS['pod cgroup mounted']);
    const mount = mountHolding(sidecar, '/host/sys/fs/cgroup');
    assert.equal(mount?.readOnly, true);
    assert.deepEqual(volume(pod.spec, mount?.name ?? '').hostPath, {
      path: '/sys/fs/cgroup',
      type: 'Directory',
    });
    const names = (sidecar.env ?? []).map((e) => e.name);
    assert.ok(
      names.indexOf('POD_UID') < names.indexOf('POOLPILOT_CGROUP_ROOT'),
      'Kubernetes expands earlier variables only',
    );
    assert.equal(
      sidecar.env?.find((e) => e.name === 'POD_UID')?.valueFrom?.fieldRef?.fieldPath,
      'metadata.uid',
    );
    assert.equal(
      envOf(sidecar, 'POOLPILOT_CGROUP_ROOT'),
      '/host/sys/fs/cgroup/kubepods/burstable/pod$(POD_UID)',
    );
    const plain = example({ cgroup: { enabled: true } }).sidecar;
    assert.equal(envOf(plain, 'POOLPILOT_CGROUP_ROOT'), '/host/sys/fs/cgroup');
    assert.equal(mountHolding(example().sidecar, '/host/sys/fs/cgroup'), undefined, 'off by default');
  });

  test("the dashboard ConfigMap holds the chart's dashboard JSON, labelled for Grafana", { skip }, () => {
    const r = render({ values: [SCENARIOS['Grafana dashboard'] ?? {}] });
    const dashboard = r.manifests.find((m) => m.metadata.name.endsWith('-dashboard')) as Manifest;
    assert.equal(dashboard.metadata.namespace, 'monitoring');
    assert.equal(at(dashboard, 'metadata', 'labels', 'grafana_dashboard'), '1');
    const json = String(at(dashboard, 'data', 'poolpilot.json'));
    assert.deepEqual(
      JSON.parse(json),
      JSON.parse(readFileSync(join(chartDir, 'dashboards', 'poolpilot.json'), 'utf8')),
    );
  });

  test('the example: sample files from an init container, or an existing claim read-only', { skip }, () => {
    const { pod } = example();
    const init = container(pod.spec, 'sample-files');
    assert.equal(mountHolding(init, '/data')?.name, 'data');
    assert.equal(init.env?.find((e) => e.name === 'SAMPLE_FILES')?.value, '1000');
    const claim = example({ example: { data: { existingClaim: 'nas-data' } } }).pod;
    assert.equal(claim.spec.initContainers, undefined, 'no sample files over real data');
    assert.deepEqual(volume(claim.spec, 'data').persistentVolumeClaim, {
      claimName: 'nas-data',
      readOnly: true,
    });
  });

  test('the image: repository:appVersion, a tag, or a digest', { skip }, () => {
    assert.equal(example().sidecar.image, `poolpilot:${chartMeta().appVersion}`);
    assert.equal(
      example({ image: { repository: 'registry.example/pp', tag: '1.2.3' } }).sidecar.image,
      'registry.example/pp:1.2.3',
    );
    const digest = `sha256:${'b'.repeat(64)}`;
    assert.equal(example({ image: { digest } }).nas.image, `poolpilot@${digest}`);
  });

  test('long release names are cut to valid resource names', { skip }, () => {
    const r = render({
      release: 'a-very-long-release-name-for-a-nas-fleet-in-production-west',
      values: [{ example: { enabled: true } }],
    });
    for (const m of r.manifests) {
      assert.ok(m.metadata.name.length <= 63, `${m.kind} ${m.metadata.name} is longer than 63`);
      assert.match(m.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  test(
    'NOTES.txt renders and says how to add the sidecar or reach the example',
    { skip: skip || (renderer.kind === 'helm' && 'helm template does not render NOTES.txt') },
    () => {
      const plain = render().notes ?? '';
      assert.match(plain, /include "poolpilot\.sidecar"/);
      assert.match(plain, /Secret demo-poolpilot-tokens/);
      const withExample = render({ values: [SCENARIOS['everything on'] ?? {}] }).notes ?? '';
      assert.match(withExample, /port-forward deploy\/demo-poolpilot-nas-example 9464 8080/);
      assert.match(withExample, /does not list "cgroup"/);
      assert.doesNotMatch(
        render({ values: [SCENARIOS['pod cgroup mounted'] ?? {}] }).notes ?? '',
        /does not list/,
      );
    },
  );
});
