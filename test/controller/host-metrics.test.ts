import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { parseProcStatCpu, registerHostMetrics } from '../../controller/host-metrics.js';

test('host CPU is the busy share of /proc/stat jiffies between two scrapes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-stat-'));
  try {
    const stat = (user: number, idle: number): void =>
      writeFileSync(join(root, 'stat'), `cpu  ${user} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\n`);
    const registry = new Registry();
    registerHostMetrics(registry, root);
    stat(100, 900);
    await registry.metrics(); // the first scrape sets the baseline
    stat(130, 970); // +30 busy, +70 idle
    assert.match(await registry.metrics(), /poolpilot_host_cpu_load_ratio 0\.3\n/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an odd /proc/stat line gives no value, never a wrong one', () => {
  assert.equal(parseProcStatCpu(''), undefined);
  assert.equal(parseProcStatCpu('intr 1 2 3\n'), undefined);
  assert.equal(parseProcStatCpu('cpu 1 x 3 4\n'), undefined);
  assert.deepEqual(parseProcStatCpu('cpu  10 0 5 80 5 0 0 0 0 0\n'), { busy: 15, total: 100 });
});

test('the real /proc/stat parses', async () => {
  const { readFileSync } = await import('node:fs');
  const parsed = parseProcStatCpu(readFileSync('/proc/stat', 'utf8'));
  assert.ok(parsed && parsed.total > 0 && parsed.busy >= 0 && parsed.busy <= parsed.total);
});
