/**
 * Values each valid alone but wrong together fail the render (the chart's `fail` checks), each
 * with a message that names the values to change; so does a cluster older than kubeVersion.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { chartDir, renderRaw, skipWithoutRenderer } from './renderer.js';

const skip = skipWithoutRenderer;

const FAILING: readonly (readonly [string, object, RegExp])[] = [
  [
    'the same key for both tokens',
    { auth: { apiTokenKey: 'token', serviceTokenKey: 'token' } },
    /auth\.apiTokenKey and auth\.serviceTokenKey must differ/,
  ],
  [
    'tokens set beside an existing Secret',
    { auth: { existingSecret: 'nas-tokens', apiToken: 'abc' } },
    /not used with auth\.existingSecret/,
  ],
  [
    'a ServiceMonitor without the Service',
    { serviceMonitor: { enabled: true }, service: { enabled: false } },
    /serviceMonitor\.enabled needs service\.enabled/,
  ],
  [
    "the example on the sidecar's port",
    { example: { enabled: true, port: 9464 } },
    /example\.port and sidecar\.port must differ/,
  ],
  [
    'one state claim for several example pods',
    { example: { enabled: true, replicas: 2 }, state: { persistence: { enabled: true } } },
    /state\.persistence serves one pod/,
  ],
];

describe('renders that must fail', () => {
  for (const [what, values, message] of FAILING) {
    test(what, { skip }, () => {
      const result = renderRaw({ values: [values] });
      assert.notEqual(result.status, 0, 'rendered');
      assert.match(result.stderr, message);
    });
  }

  test('the same values render once the conflict is gone', { skip }, () => {
    assert.equal(renderRaw({ values: [{ example: { enabled: true, replicas: 2 } }] }).status, 0);
    assert.equal(renderRaw({ values: [{ auth: { existingSecret: 'nas-tokens' } }] }).status, 0);
  });

  test('a dashboard switched on in a chart that lost its dashboard file', { skip }, () => {
    const work = mkdtempSync(join(tmpdir(), 'poolpilot-helm-nodash-'));
    try {
      const chart = join(work, 'poolpilot');
      cpSync(chartDir, chart, { recursive: true });
      rmSync(join(chart, 'dashboards'), { recursive: true });
      assert.equal(renderRaw({ chart }).status, 0, 'not needed while the dashboard is off');
      const result = renderRaw({ chart, values: [{ dashboard: { enabled: true } }] });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /dashboards\/poolpilot\.json is missing from the chart/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test("a Kubernetes older than the chart's kubeVersion", { skip }, () => {
    const result = renderRaw({ kubeVersion: '1.24.9' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /kubeVersion/);
    assert.equal(renderRaw({ kubeVersion: '1.25.0' }).status, 0);
  });
});
