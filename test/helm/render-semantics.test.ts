/**
 * What the chart and its users rely on from `helm template`, checked on whichever renderer runs
 * (helm, or tools/helm-render standing in for it): values files merge in order, `--set` types its
 * values, null removes a default, and manifests come out in helm's install order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { at, only, parseManifests, render } from './manifests.js';
import { container, envOf, podTemplate } from './pod-spec.js';
import { renderRaw, skipWithoutRenderer } from './renderer.js';
import { SCENARIOS } from './scenarios.js';

const skip = skipWithoutRenderer;

describe('render semantics', () => {
  test('later values files win, maps merge key by key', { skip }, () => {
    const r = render({
      values: [
        {
          example: { enabled: true },
          sidecar: { logLevel: 'debug', resources: { limits: { memory: '300Mi' } } },
        },
        { sidecar: { logLevel: 'warn' } },
      ],
    });
    const sidecar = container(podTemplate(only(r, 'Deployment')).spec, 'poolpilot');
    assert.equal(envOf(sidecar, 'POOLPILOT_LOG_LEVEL'), 'warn');
    assert.deepEqual(sidecar.resources, {
      requests: { cpu: '25m', memory: '64Mi' },
      limits: { memory: '300Mi' },
    });
  });

  test('--set types numbers and booleans, and applies after the files', { skip }, () => {
    const r = render({
      values: [{ sidecar: { port: 9000 } }],
      set: ['example.enabled=true,sidecar.port=9500', 'serviceMonitor.enabled=true'],
    });
    const sidecar = container(podTemplate(only(r, 'Deployment')).spec, 'poolpilot');
    assert.equal(sidecar.ports?.[0]?.containerPort, 9500);
    assert.equal(r.manifests.filter((m) => m.kind === 'ServiceMonitor').length, 1);
  });

  test('null removes a default', { skip }, () => {
    const r = render({ values: [{ example: { enabled: true }, sidecar: { resources: { limits: null } } }] });
    const sidecar = container(podTemplate(only(r, 'Deployment')).spec, 'poolpilot');
    assert.deepEqual(sidecar.resources, { requests: { cpu: '25m', memory: '64Mi' } });
  });

  test("manifests come in helm's install order, each after a # Source: line", { skip }, () => {
    const r = render({ values: [SCENARIOS['everything on'] ?? {}] });
    assert.deepEqual(
      r.manifests.map((m) => m.kind),
      [
        'Secret',
        'ConfigMap',
        'ConfigMap',
        'PersistentVolumeClaim',
        'Service',
        'Service',
        'Deployment',
        'ServiceMonitor',
      ],
    );
    assert.equal(r.stdout.split(/^---$/m).length - 1, r.manifests.length);
    assert.match(r.stdout, /^---\n# Source: poolpilot\/templates\/secret\.yaml\n/);
  });

  test('the release name and namespace reach every object', { skip }, () => {
    const r = render({ release: 'edge', namespace: 'storage', values: [SCENARIOS['everything on'] ?? {}] });
    for (const m of r.manifests) {
      assert.equal(m.metadata.namespace, 'storage', `${m.kind} ${m.metadata.name}`);
      assert.match(m.metadata.name, /^edge-poolpilot/);
      assert.equal(at(m, 'metadata', 'labels', 'app.kubernetes.io/instance'), 'edge');
    }
  });

  test("a template error fails the render with the template's name", { skip }, () => {
    const result = renderRaw({ values: [{ example: { enabled: true, port: 9464 } }] });
    assert.notEqual(result.status, 0);
    assert.equal(parseManifests(result.stdout).length, 0, 'nothing on stdout');
    assert.match(result.stderr, /poolpilot\/templates\/configmap\.yaml/);
  });
});
