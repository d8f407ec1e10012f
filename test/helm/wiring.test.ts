/**
 * How the rendered pieces fit together: every path the sidecar and the NAS container are given
 * lies in a volume that holds it, the probes hit the controller's port, the Service and the
 * ServiceMonitor find the pods, and the pods meet the "restricted" Pod Security Standard.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binNodeFlags } from '../helpers/bin-flags.js';
import { cliPath } from '../helpers/paths.js';
import { at, only, render } from './manifests.js';
import { envOf, mountHolding, podTemplate, restrictedViolations, volume } from './pod-spec.js';
import { skipWithoutRenderer } from './renderer.js';
import { SCENARIOS } from './scenarios.js';
import { example, fileSeenBy, matches, policyOf } from './wiring-helpers.js';

const skip = skipWithoutRenderer;

describe('sidecar and example wiring', () => {
  test('defaults render the policy, the tokens and the Service, and no workload', { skip }, () => {
    const r = render();
    assert.deepEqual(
      r.manifests.map((m) => m.kind),
      ['Secret', 'ConfigMap', 'Service'],
    );
  });

  test(
    'the sidecar runs the controller on the mounted policy, with the contract environment',
    { skip },
    () => {
      const { r, pod, sidecar } = example();
      assert.deepEqual(
        [...(sidecar.command ?? []), ...(sidecar.args ?? [])],
        // The bin's shebang flags, as `npx poolpilot` and the image's ENTRYPOINT run it.
        ['node', ...binNodeFlags(cliPath), '/app/dist/controller/cli/main.js', 'run'],
      );
      const config = envOf(sidecar, 'POOLPILOT_CONFIG') ?? '';
      assert.equal(fileSeenBy(r, pod.spec, sidecar, config), at(only(r, 'ConfigMap'), 'data', 'policy.yaml'));
      assert.equal(envOf(sidecar, 'POOLPILOT_HOST'), '0.0.0.0');
      assert.equal(envOf(sidecar, 'POOLPILOT_PORT'), '9464');
      assert.equal(envOf(sidecar, 'POOLPILOT_LOG_LEVEL'), 'info');
      assert.equal(envOf(sidecar, 'POOLPILOT_SHUTDOWN_TIMEOUT_MS'), '10000');
      assert.equal(
        envOf(sidecar, 'POOLPILOT_API_TOKEN'),
        undefined,
        'the token comes from a file, not the env',
      );
      const apiToken = fileSeenBy(r, pod.spec, sidecar, envOf(sidecar, 'POOLPILOT_API_TOKEN_FILE') ?? '');
      assert.match(apiToken, /^[A-Za-z0-9]{40}$/);
    },
  );

  test(
    'the state directory and /tmp are writable volumes (the root file system is read-only)',
    { skip },
    () => {
      const { pod, sidecar } = example();
      assert.equal(sidecar.securityContext?.readOnlyRootFilesystem, true);
      for (const path of [envOf(sidecar, 'POOLPILOT_STATE_DIR') ?? '', '/tmp']) {
        const mount = mountHolding(sidecar, path);
        assert.ok(mount && mount.mountPath === path, `${path} is a mount of its own`);
        assert.notEqual(mount.readOnly, true);
        assert.ok(volume(pod.spec, mount.name).emptyDir, `${path} is an emptyDir by default`);
      }
    },
  );

  test(
    'the policy reaches the NAS container over loopback, with the token the NAS container reads',
    { skip },
    () => {
      const { r, pod, sidecar, nas } = example();
      const [service] = policyOf(r).services;
      assert.ok(service);
      const port = nas.ports?.find((p) => p.name === 'nas')?.containerPort;
      assert.equal(service.url, `http://127.0.0.1:${port}`);
      const args = nas.args ?? [];
      assert.equal(args[args.indexOf('--port') + 1], String(port));
      const sidecarToken = fileSeenBy(r, pod.spec, sidecar, service.tokenFile ?? '');
      const nasToken = fileSeenBy(r, pod.spec, nas, args[args.indexOf('--token-file') + 1] ?? '');
      assert.equal(nasToken, sidecarToken);
      assert.notEqual(sidecarToken, fileSeenBy(r, pod.spec, sidecar, '/var/run/secrets/poolpilot/api-token'));
      assert.equal(
        mountHolding(nas, '/var/run/secrets/poolpilot/api-token')?.name,
        'poolpilot-service-token',
      );
      assert.throws(
        () => fileSeenBy(r, pod.spec, nas, '/var/run/secrets/poolpilot/api-token'),
        /projects nothing/,
      );
    },
  );

  test(
    'probes: liveness on /healthz and readiness on /readyz, at the port the controller listens on',
    { skip },
    () => {
      const { sidecar } = example({ sidecar: { port: 9500 } });
      const port = sidecar.ports?.find((p) => p.name === sidecar.livenessProbe?.httpGet?.port);
      assert.equal(port?.containerPort, 9500);
      assert.equal(envOf(sidecar, 'POOLPILOT_PORT'), '9500');
      assert.equal(sidecar.livenessProbe?.httpGet?.path, '/healthz');
      assert.equal(sidecar.readinessProbe?.httpGet?.path, '/readyz');
      assert.equal(sidecar.readinessProbe?.httpGet?.port, sidecar.livenessProbe?.httpGet?.port);
    },
  );

  test('pods meet the restricted Pod Security Standard, unless the cgroup hostPath is on', { skip }, () => {
    for (const name of ['example workload', 'state on a created PVC', 'existing Secret']) {
      const pod = podTemplate(only(render({ values: [SCENARIOS[name] ?? {}] }), 'Deployment'));
      assert.deepEqual(restrictedViolations(pod.spec), [], name);
      assert.equal(pod.spec.automountServiceAccountToken, false);
    }
    const cgroup = podTemplate(
      only(render({ values: [SCENARIOS['pod cgroup mounted'] ?? {}] }), 'Deployment'),
    );
    assert.deepEqual(restrictedViolations(cgroup.spec), ['volume poolpilot-cgroup is a hostPath']);
  });

  test('the sidecar alone carries its security context (for pods without a pod-level one)', { skip }, () => {
    const { sidecar } = example();
    assert.deepEqual(restrictedViolations({ containers: [sidecar] }), []);
    assert.equal(sidecar.securityContext?.runAsUser, 10001, 'the Dockerfile user');
    assert.equal(sidecar.resources?.limits?.cpu, undefined, 'no CPU limit: throttling slows the fast path');
    assert.ok(sidecar.resources?.limits?.memory);
  });

  test(
    'the Service selects the example pods by the sidecar label and targets the named port',
    { skip },
    () => {
      const { r, pod, sidecar } = example();
      const service = only(r, 'Service', '-poolpilot');
      assert.ok(matches(at(service, 'spec', 'selector') as object, pod.metadata.labels));
      assert.equal(at(service, 'spec', 'ports', 0, 'targetPort'), sidecar.ports?.[0]?.name);
      const exampleService = only(r, 'Service', '-nas-example');
      assert.ok(matches(at(exampleService, 'spec', 'selector') as object, pod.metadata.labels));
      assert.equal(at(exampleService, 'spec', 'ports', 0, 'targetPort'), 'nas');
      const deployment = only(r, 'Deployment');
      assert.ok(matches(at(deployment, 'spec', 'selector', 'matchLabels') as object, pod.metadata.labels));
    },
  );

  test('the ServiceMonitor selects the poolpilot Service (and not the NAS one) on its port', { skip }, () => {
    const r = render({ values: [SCENARIOS['everything on'] ?? {}] });
    const monitor = only(r, 'ServiceMonitor');
    const selector = at(monitor, 'spec', 'selector', 'matchLabels') as object;
    const selected = r.manifests.filter(
      (m) =>
        m.kind === 'Service' &&
        matches(selector, (at(m, 'metadata', 'labels') ?? {}) as Record<string, string>),
    );
    assert.deepEqual(
      selected.map((m) => m.metadata.name),
      ['demo-poolpilot'],
    );
    assert.equal(at(monitor, 'spec', 'endpoints', 0, 'port'), at(selected[0], 'spec', 'ports', 0, 'name'));
    assert.equal(at(monitor, 'spec', 'endpoints', 0, 'path'), '/metrics');
    assert.deepEqual(at(monitor, 'spec', 'namespaceSelector', 'matchNames'), ['nas']);
  });

  test(
    'service.selector replaces the default selector; service.enabled=false drops the Service',
    { skip },
    () => {
      const r = render({ values: [{ service: { selector: { app: 'my-nas' } } }] });
      assert.deepEqual(at(only(r, 'Service'), 'spec', 'selector'), { app: 'my-nas' });
      const off = render({ values: [SCENARIOS['Service off'] ?? {}] });
      assert.equal(off.manifests.filter((m) => m.kind === 'Service').length, 0);
    },
  );

  test('policy changes reload in place: no pod annotation carries the policy', { skip }, () => {
    const a = example().pod.metadata.annotations ?? {};
    const b =
      example({ config: { policy: { name: 'other', interval: '2s' } } }).pod.metadata.annotations ?? {};
    assert.deepEqual(a, b, 'a policy change must not restart the pods');
    const c = example({ auth: { serviceToken: 'rotated-token' } }).pod.metadata.annotations ?? {};
    assert.notDeepEqual(a, c, 'a token change restarts them: the NAS service reads its token at start');
  });

  test('config goes through tpl', { skip }, () => {
    const r = render({
      values: [
        {
          example: { enabled: true, port: 8181 },
          config: {
            services: [
              {
                name: 'nas',
                url: 'http://127.0.0.1:{{ .Values.example.port }}',
                mode: 'observe',
                pools: [{ name: 'buffers', base: 8, min: 1, max: 16 }],
              },
            ],
          },
        },
      ],
    });
    assert.equal(policyOf(r).services[0]?.url, 'http://127.0.0.1:8181');
  });
});
