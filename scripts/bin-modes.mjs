#!/usr/bin/env node
// Makes every `bin` of package.json executable once built, as npm does when it links them, so
// that `dist/controller/cli/main.js run` starts node with the flags of its shebang line.
import { chmodSync, existsSync, readFileSync } from 'node:fs';

const { bin } = JSON.parse(readFileSync('package.json', 'utf8'));
for (const file of Object.values(bin ?? {})) {
  if (existsSync(file)) chmodSync(file, 0o755);
}
