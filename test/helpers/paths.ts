import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test files');
    dir = up;
  }
  return dir;
}

/** The repository root (where package.json is), wherever the compiled tests run from. */
export const repoRoot = findRoot();
export const fixtures = (...parts: string[]): string => join(repoRoot, 'test', 'fixtures', ...parts);
/** The built CLI entry point. */
export const cliPath = join(repoRoot, 'dist', 'controller', 'cli', 'main.js');
