/**
 * values.schema.json, which helm applies to the merged values before rendering: the defaults and
 * every scenario pass, and each kind of bad value fails with the path of the value. The same
 * checks run in helm itself when it is on PATH; the Go renderer leaves the schema to this test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { renderRaw, renderer, chartDir, skipWithoutRenderer } from './renderer.js';
import { SCENARIOS, chartDefaults, mergeValues } from './scenarios.js';

// Draft-07, the schema version every helm 3 release reads; strict, so that a misspelt keyword in
// the schema itself is an error here rather than a check that silently never runs.
const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as object;
const validate = ajv.compile(schema);

function errorsFor(user: object): ErrorObject[] {
  validate(mergeValues(chartDefaults(), user));
  return validate.errors ?? [];
}

/** Bad values, each with the path its error must name (as ajv writes it). */
const BAD: readonly (readonly [string, object, string])[] = [
  ['a port out of range', { sidecar: { port: 70000 } }, '/sidecar/port'],
  ['a port given as a string', { sidecar: { port: '9464' } }, '/sidecar/port'],
  ['a fractional replica count', { example: { replicas: 1.5 } }, '/example/replicas'],
  ['a negative replica count', { example: { replicas: -1 } }, '/example/replicas'],
  ['an unknown log level', { sidecar: { logLevel: 'verbose' } }, '/sidecar/logLevel'],
  ['an unknown pull policy', { image: { pullPolicy: 'Sometimes' } }, '/image/pullPolicy'],
  ['an empty image repository', { image: { repository: '' } }, '/image/repository'],
  ['a malformed digest', { image: { digest: 'sha256:abc' } }, '/image/digest'],
  ['a tag with a slash', { image: { tag: 'v1/x' } }, '/image/tag'],
  ['a tag given as a number (1.10 would become 1.1)', { image: { tag: 1.1 } }, '/image/tag'],
  ['a misspelt top-level key', { sidcar: { port: 9464 } }, ''],
  ['a misspelt nested key', { serviceMonitor: { enable: true } }, '/serviceMonitor'],
  ['another policy format version', { config: { apiVersion: 'poolpilot/v2' } }, '/config/apiVersion'],
  ['a misspelt policy key', { config: { polcy: {} } }, '/config'],
  ['no pooled service', { config: { services: [] } }, '/config/services'],
  [
    'a service URL without http',
    { config: { services: [{ name: 'nas', url: '127.0.0.1:8080', pools: [{}] }] } },
    '/config/services/0/url',
  ],
  ['a token with a space', { auth: { apiToken: 'two words' } }, '/auth/apiToken'],
  ['a Secret key with a slash', { auth: { serviceTokenKey: 'service/token' } }, '/auth/serviceTokenKey'],
  ['an upper-case Secret name', { auth: { existingSecret: 'My-Tokens' } }, '/auth/existingSecret'],
  ['a size that is not a quantity', { state: { persistence: { size: '1 GB' } } }, '/state/persistence/size'],
  [
    'a read-only access mode for the state',
    { state: { persistence: { accessModes: ['ReadOnlyMany'] } } },
    '/state/persistence/accessModes/0',
  ],
  [
    'a memory limit that is not a quantity',
    { sidecar: { resources: { limits: { memory: 'lots' } } } },
    '/sidecar/resources/limits/memory',
  ],
  [
    'a probe path (fixed by the chart)',
    { sidecar: { livenessProbe: { path: '/x' } } },
    '/sidecar/livenessProbe',
  ],
  [
    'a zero probe period',
    { sidecar: { readinessProbe: { periodSeconds: 0 } } },
    '/sidecar/readinessProbe/periodSeconds',
  ],
  ['a scrape interval in words', { serviceMonitor: { interval: '15 seconds' } }, '/serviceMonitor/interval'],
  [
    'a label value that is a number',
    { dashboard: { labels: { grafana_dashboard: 1 } } },
    '/dashboard/labels/grafana_dashboard',
  ],
  ['a relative cgroup mount path', { cgroup: { mountPath: 'host/cgroup' } }, '/cgroup/mountPath'],
  ['a relative cgroup root', { cgroup: { root: 'kubepods' } }, '/cgroup/root'],
  ['an unknown Service type', { service: { type: 'Ingress' } }, '/service/type'],
  ['a switch given as a string', { example: { enabled: 'yes' } }, '/example/enabled'],
  ['sample files given as words', { example: { sampleFiles: 'many' } }, '/example/sampleFiles'],
  ['a removed required section', { sidecar: null }, ''],
  ['an env entry without a name', { sidecar: { extraEnv: [{ value: 'x' }] } }, '/sidecar/extraEnv/0'],
];

describe('values.schema.json', () => {
  test('is a valid draft-07 schema that ajv compiles in strict mode', () => {
    assert.equal((schema as { $schema?: string }).$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(typeof validate, 'function');
  });

  test('accepts the defaults', () => {
    assert.deepEqual(errorsFor({}), []);
  });

  for (const [name, values] of Object.entries(SCENARIOS)) {
    test(`accepts the values of "${name}"`, () => {
      assert.deepEqual(errorsFor(values), []);
    });
  }

  for (const [what, values, path] of BAD) {
    test(`rejects ${what} at ${path === '' ? 'the top level' : path}`, () => {
      const errors = errorsFor(values);
      assert.ok(errors.length > 0, `accepted ${JSON.stringify(values)}`);
      assert.ok(
        errors.some((e) => e.instancePath === path),
        `no error at ${path}: ${ajv.errorsText(errors)}`,
      );
    });
  }

  test('every key of values.yaml is described by the schema (no key left unchecked)', () => {
    const unchecked: string[] = [];
    const walk = (value: unknown, node: Record<string, unknown> | undefined, path: string): void => {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || node === undefined) return;
      const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [key, child] of Object.entries(value)) {
        let sub = properties?.[key];
        if (sub === undefined) {
          if (node.additionalProperties === undefined || node.additionalProperties === true)
            unchecked.push(`${path}.${key}`);
          continue;
        }
        const ref = sub.$ref as string | undefined;
        if (ref !== undefined)
          sub = (schema as { definitions: Record<string, Record<string, unknown>> }).definitions[
            ref.split('/').pop() ?? ''
          ];
        walk(child, sub, `${path}.${key}`);
      }
    };
    walk(chartDefaults(), schema as Record<string, unknown>, '');
    // Free-form by design: the policy (poolpilot validate checks it), Kubernetes objects and maps.
    const freeForm =
      /^\.(config\.policy\.|sidecar\.securityContext\.|example\.(podSecurityContext|securityContext)\.)/;
    assert.deepEqual(
      unchecked.filter((p) => !freeForm.test(p)),
      [],
    );
  });

  test(
    'helm itself rejects bad values at render',
    {
      skip:
        skipWithoutRenderer ||
        (renderer.kind !== 'helm' && 'the Go renderer leaves values.schema.json to ajv'),
    },
    () => {
      for (const [, values] of BAD.slice(0, 5)) {
        const result = renderRaw({ values: [values] });
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /values don't meet the specifications of the schema|schema/);
      }
    },
  );
});
