import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigText } from '../../policies/loader.js';
import { repoRoot } from '../helpers/paths.js';

test('the configuration example in the README is valid', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const example = blocks.find((b) => b.startsWith('apiVersion: poolpilot/v1'));
  assert.ok(example, 'the README has a configuration example');
  const result = loadConfigText(example, 'README.md');
  assert.deepEqual(result.ok ? [] : result.errors.map((e) => `${e.line}:${e.column} ${e.message}`), []);
});
