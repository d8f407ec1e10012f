import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder that holds the preset YAML files, found from this module wherever it was built to. */
export function presetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'policies', 'presets');
    if (existsSync(join(candidate, 'seed.yaml'))) return candidate;
    const up = dirname(dir);
    if (up === dir)
      throw new Error('policies/presets/seed.yaml not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Path of a bundled preset such as `seed`. */
export function presetPath(name: string): string {
  return join(presetsDir(), `${name}.yaml`);
}
