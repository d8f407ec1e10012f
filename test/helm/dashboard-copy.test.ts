/**
 * The chart carries a copy of the Grafana dashboard (helm can only read files inside the chart):
 * it must stay the same dashboard as dashboards/poolpilot.json.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { chartDir } from './renderer.js';

const original = join(repoRoot, 'dashboards', 'poolpilot.json');
const copy = join(chartDir, 'dashboards', 'poolpilot.json');
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

describe("the chart's dashboard", () => {
  test('is a Grafana dashboard', () => {
    const dashboard = readJson(copy) as { title?: unknown; uid?: unknown; panels?: unknown };
    assert.equal(typeof dashboard.title, 'string');
    assert.equal(typeof dashboard.uid, 'string');
    assert.ok(Array.isArray(dashboard.panels));
  });

  test(
    'is the same as dashboards/poolpilot.json',
    { skip: !existsSync(original) && 'dashboards/poolpilot.json does not exist yet' },
    () => {
      assert.deepEqual(
        readJson(copy),
        readJson(original),
        "the chart's copy differs: cp dashboards/poolpilot.json helm/poolpilot/dashboards/poolpilot.json",
      );
    },
  );
});
