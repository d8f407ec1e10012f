/**
 * What `npm pack` ships: the product (both programs, the SDK, the presets, the dashboard), and
 * never the compiled tests, benchmarks or their fixtures.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

interface PackageJson {
  readonly bin: Readonly<Record<string, string>>;
  readonly exports: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
}

function packedFiles(): string[] {
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(pack.status, 0, `npm pack --dry-run failed: ${pack.stderr}`);
  const [info] = JSON.parse(pack.stdout) as [{ files: { path: string }[] }];
  return info.files.map((f) => f.path);
}

describe('the npm package', () => {
  const files = packedFiles();
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as PackageJson;

  it('ships no compiled test or benchmark', () => {
    const stray = files.filter((f) => /^dist\/(test|bench)\//.test(f) || f.startsWith('test/'));
    assert.deepEqual(stray, []);
  });

  it('ships both programs, every export, the presets and the dashboard', () => {
    const wanted = [
      ...Object.values(pkg.bin),
      ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
      'policies/presets/seed.yaml',
      'controller/dashboard/index.html',
    ].map((f) => f.replace(/^\.\//, ''));
    for (const f of wanted) assert.ok(files.includes(f), `${f} is not in the package`);
  });
});
