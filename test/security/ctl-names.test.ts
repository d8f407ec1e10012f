/**
 * Services and pools named like Object.prototype's properties (`__proto__`, `constructor`,
 * `toString`, ...) are ordinary names from end to end: validation, status, decisions and pushes
 * to a real agent, overrides, the state directory across a restart, and simulate. A service
 * reporting such pools in its stats pollutes nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildServer } from '../../controller/api/server.js';
import { openState } from '../../controller/cli/state-setup.js';
import { Controller } from '../../controller/controller.js';
import { nullLogger } from '../../controller/logger.js';
import { METRIC } from '../../controller/metrics.js';
import { simulate } from '../../controller/simulate.js';
import { loadConfigText } from '../../policies/loader.js';
import { cliPath } from '../helpers/paths.js';
import { startCtlAgent } from './ctl-agent.js';
import { metricSamples, parseConfig, policyYaml, sampleValue, startHarness } from './ctl-harness.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;

interface Status {
  services: {
    name: string;
    healthy: boolean;
    pools: { name: string; capacity: number | null; target: number }[];
  }[];
  signals: { load: Record<string, { value: number | null }> };
}

function assertNoPollution(): void {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTOTYPE_NAMES);
  const plain: Record<string, unknown> = {};
  assert.equal(Object.getPrototypeOf(plain), Object.prototype);
  assert.equal(plain['capacity'], undefined);
  assert.equal(typeof plain['toString'], 'function');
}
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

describe('names that are Object.prototype keys', () => {
  it('validate, and YAML keys named __proto__ are errors, never a prototype', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'poolpilot-ctl-names-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      policyYaml(NAMES.map((name) => ({ name, url: 'http://127.0.0.1:9', pools: [...NAMES] }))),
    );
    const validate = spawnSync(process.execPath, [cliPath, 'validate', file], { encoding: 'utf8' });
    assert.equal(validate.stderr, '');
    assert.equal(validate.stdout, 'ok ctl-security\n');
    assert.equal(validate.status, 0);

    const yaml = policyYaml([{ name: 'nas', url: 'http://127.0.0.1:9', pools: ['buffers'] }]);
    const top = loadConfigText(`__proto__: { polluted: 1 }\n${yaml}`, 'a.yaml');
    assert.equal(top.ok, false);
    assert.match(top.ok ? '' : (top.errors[0]?.message ?? ''), /unknown key "__proto__" in the top level/);
    const when = loadConfigText(yaml.replace('when: { load: high }', 'when: { __proto__: high }'), 'b.yaml');
    assert.match(when.ok ? '' : (when.errors[0]?.message ?? ''), /unknown signal "__proto__"/);
    assertNoPollution();
  });

  it('run against a real agent: status, decisions, pushes, overrides, state and a restart', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'poolpilot-ctl-names-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const base = Object.fromEntries(NAMES.map((n) => [n, 100]));
    const proto = await startCtlAgent({ service: '__proto__', pools: base, load: 0.9 });
    t.after(() => proto.close());
    const ctor = await startCtlAgent({ service: 'constructor', pools: base, load: 0.9 });
    t.after(() => ctor.close());
    // This one's stats add pools named like prototype keys that its configuration does not name.
    const plain = await startCtlAgent({
      service: 'valueOf',
      pools: Object.fromEntries([
        ['buffers', 100],
        ['__proto__', 5],
        ['constructor', 6],
        ['toString', 7],
      ]),
      load: 0.1,
    });
    t.after(() => plain.close());
    const config = parseConfig(
      policyYaml([
        { name: '__proto__', url: proto.url, pools: [...NAMES] },
        { name: 'constructor', url: ctor.url, pools: [...NAMES] },
        { name: 'valueOf', url: plain.url, pools: ['buffers'] },
      ]),
    );

    // Before any tick: every name answers 200 (it was a 500).
    const idle = new Controller({
      config,
      source: 'ctl.yaml',
      cache: { collect: () => undefined },
      observe: async () => ({ ok: false, at: 0, capacities: {} }),
    });
    const idleApi = await buildServer({ controller: idle, listenHost: '127.0.0.1' });
    t.after(() => idleApi.close());
    const before = await idleApi.inject('/api/v1/status');
    assert.equal(before.statusCode, 200, before.body);

    const stateDir = join(dir, 'state');
    const state = await openState(stateDir, nullLogger);
    const h = await startHarness(config, {
      store: state.store,
      journal: state.journal,
      restoredDecisions: state.restoredDecisions,
    });
    let closed = false;
    t.after(() => (closed ? undefined : h.close()));
    await h.controller.tick();

    const res = await fetch(`${h.base}/api/v1/status`);
    assert.equal(res.status, 200);
    const status = (await res.json()) as Status;
    assert.deepEqual(Object.keys(status.signals.load), ['__proto__', 'constructor', 'valueOf']);
    assert.equal(status.signals.load['__proto__']?.value, 0.9);
    for (const service of status.services.slice(0, 2)) {
      assert.equal(service.healthy, true, service.name);
      assert.deepEqual(
        service.pools.map((p) => [p.name, p.capacity, p.target]),
        NAMES.map((n) => [n, 150, 150]),
        service.name,
      );
    }
    assert.deepEqual(
      status.services[2]?.pools.map((p) => [p.name, p.capacity, p.target]),
      [['buffers', 100, 100]],
    );
    // Decided and pushed to the real agents (load high: base * 1.5).
    for (const agent of [proto, ctor]) {
      assert.deepEqual(Object.fromEntries(agent.pools), Object.fromEntries(NAMES.map((n) => [n, 150])));
    }
    assert.deepEqual(plain.pushes, []);
    const decisions = (await (await fetch(`${h.base}/api/v1/decisions?limit=100`)).json()) as {
      decisions: { service: string; pool: string; to: number; outcome: string }[];
    };
    const applied = decisions.decisions.filter((d) => d.outcome === 'applied' && d.to === 150);
    assert.equal(applied.length, 2 * NAMES.length);
    const samples = await metricSamples(h.base);
    assert.equal(sampleValue(samples, `${METRIC.poolCapacity}{service="__proto__",pool="constructor"}`), 150);
    assert.equal(sampleValue(samples, `${METRIC.unknownPools}{service="valueOf"}`), 3);

    // Overrides on such paths.
    const path = `${h.base}/api/v1/services/__proto__/pools/constructor/override`;
    const put = await fetch(path, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capacity: 42, ttlSeconds: 3600 }),
    });
    assert.equal(put.status, 200, await put.text());
    const put2 = await fetch(`${h.base}/api/v1/services/constructor/pools/toString/override`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capacity: 43, ttlSeconds: 3600 }),
    });
    assert.equal(put2.status, 200);
    await h.controller.tick();
    assert.equal(proto.pools.get('constructor'), 42);
    assert.equal(ctor.pools.get('toString'), 43);
    const del = await fetch(`${h.base}/api/v1/services/constructor/pools/toString/override`, {
      method: 'DELETE',
    });
    assert.equal(del.status, 204);

    // The state directory keeps them, and a restarted controller resumes from it.
    await h.close();
    closed = true;
    const saved = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
      overrides: Record<string, unknown>;
      decisionState: { pools: Record<string, { capacity: number }>; bands: { load: Record<string, string> } };
    };
    assert.deepEqual(Object.keys(saved.overrides), ['__proto__/constructor']);
    assert.equal(saved.decisionState.pools['__proto__/constructor']?.capacity, 42);
    assert.equal(Object.hasOwn(saved.decisionState.bands.load, '__proto__'), true);
    const again = await openState(stateDir, nullLogger);
    assert.ok(again.restored, 'state restored');
    assert.equal(Object.hasOwn(again.restored.overrides, '__proto__/constructor'), true);
    assert.equal(Object.hasOwn(again.restored.decisionState.bands.load, '__proto__'), true);
    proto.pools.set('constructor', 100); // the service restarted at its base
    const h2 = await startHarness(config, {
      store: again.store,
      journal: again.journal,
      restoredDecisions: again.restoredDecisions,
      restored: again.restored,
    });
    t.after(() => h2.close());
    await h2.controller.tick();
    assert.equal(proto.pools.get('constructor'), 42, 'the restored override is pushed again');
    const after = (await (await fetch(`${h2.base}/api/v1/status`)).json()) as Status;
    assert.equal(after.services[0]?.pools.find((p) => p.name === 'constructor')?.target, 42);
    assert.equal(after.services[1]?.pools.find((p) => p.name === 'toString')?.target, 150);
    assertNoPollution();
  });

  it('simulate replays a trace whose load names such services', async () => {
    const config = parseConfig(
      policyYaml([
        { name: '__proto__', url: 'http://127.0.0.1:9', pools: ['toString'] },
        { name: 'constructor', url: 'http://127.0.0.1:9', pools: ['__proto__'] },
      ]),
    );
    const lines = ['{"t": 0, "cache": 0.1, "load": {"__proto__": 0.9, "constructor": 0.9}}'];
    const changes = [];
    for await (const c of simulate(config, lines, 'trace.jsonl')) changes.push(c);
    assert.deepEqual(
      changes.map((c) => [c.service, c.pool, c.from, c.to]),
      [
        ['__proto__', 'toString', 100, 150],
        ['constructor', '__proto__', 100, 150],
      ],
    );
    assertNoPollution();
  });
});
