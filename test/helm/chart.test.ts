/**
 * The chart renders with its defaults and with each switch on; every manifest passes the
 * Kubernetes schemas, and the policy in the ConfigMap passes `poolpilot validate`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath } from '../helpers/paths.js';
import { hasModel, typeCheck, validateWithModel } from './kube-schemas.js';
import { at, render } from './manifests.js';
import type { Rendered } from './manifests.js';
import { danglingVolumes, podTemplate } from './pod-spec.js';
import { renderer, skipWithoutRenderer } from './renderer.js';
import { SCENARIOS } from './scenarios.js';

const skip = skipWithoutRenderer;
const rendered = new Map<string, Rendered>();
let work: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'poolpilot-helm-chart-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Renders a scenario once for all the tests of this file. */
function scenario(name: string): Rendered {
  let r = rendered.get(name);
  if (r === undefined) {
    r = render({ values: [SCENARIOS[name] ?? {}] });
    rendered.set(name, r);
  }
  return r;
}

const CI = process.env.CI === 'true';

describe(`chart rendered with ${renderer.kind === 'missing' ? 'no renderer' : renderer.kind}`, () => {
  for (const name of Object.keys(SCENARIOS)) {
    describe(name, () => {
      test('renders', { skip }, () => {
        const r = scenario(name);
        assert.ok(r.manifests.length >= 2, 'at least the policy ConfigMap and the Service or Secret');
        for (const m of r.manifests) {
          assert.match(m.source, /^poolpilot\/templates\/[a-z-]+\.yaml$/, `${m.kind} has a # Source: line`);
        }
      });

      test('every manifest passes its Kubernetes schema', { skip }, async () => {
        const problems: string[] = [];
        for (const m of scenario(name).manifests) {
          if (!hasModel(m.apiVersion, m.kind)) {
            // The ServiceMonitor's model is a separate package; CI installs it from the lock file.
            if (CI) problems.push(`no model installed for ${m.apiVersion} ${m.kind}`);
            continue;
          }
          const problem = await validateWithModel(m);
          if (problem !== undefined) problems.push(problem);
        }
        assert.deepEqual(problems, []);
      });

      test('the policy in the ConfigMap passes poolpilot validate', { skip }, () => {
        const configMap = scenario(name).manifests.find(
          (m) => m.kind === 'ConfigMap' && at(m, 'data', 'policy.yaml') !== undefined,
        );
        assert.ok(configMap, 'a ConfigMap with policy.yaml');
        const file = join(work, `${name.replace(/\W+/g, '-')}.yaml`);
        writeFileSync(file, String(at(configMap, 'data', 'policy.yaml')));
        const run = spawnSync(process.execPath, [cliPath, 'validate', file], {
          encoding: 'utf8',
          timeout: 20_000,
        });
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /^ok \S+\n$/);
      });

      test('each pod mounts only its own volumes, and uses every one', { skip }, () => {
        for (const d of scenario(name).manifests.filter((m) => m.kind === 'Deployment')) {
          assert.deepEqual(danglingVolumes(podTemplate(d).spec), []);
        }
      });
    });
  }

  test(
    "every manifest of every scenario compiles against the models' TypeScript interfaces",
    { skip },
    () => {
      const all = Object.keys(SCENARIOS)
        .flatMap((name) => scenario(name).manifests)
        .filter((m) => hasModel(m.apiVersion, m.kind));
      assert.ok(all.some((m) => m.kind === 'Deployment'));
      assert.deepEqual(typeCheck(all), []);
    },
  );

  test('the type check catches a misspelt field deep in a pod spec', { skip }, () => {
    const deployment = scenario('example workload').manifests.find((m) => m.kind === 'Deployment');
    assert.ok(deployment);
    const broken = JSON.parse(
      JSON.stringify(deployment).replace('"readinessProbe"', '"readinesProbe"'),
    ) as typeof deployment;
    const problems = typeCheck([broken]);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /readinesProbe/);
  });

  test('the runtime schema check catches a wrong type', { skip }, async () => {
    const service = scenario('defaults').manifests.find((m) => m.kind === 'Service');
    assert.ok(service);
    const broken = JSON.parse(
      JSON.stringify(service).replace('"port":9464', '"port":"9464"'),
    ) as typeof service;
    assert.match((await validateWithModel(broken)) ?? '', /port must be integer/);
  });
});
