#!/usr/bin/env node
// Runs every compiled benchmark (dist/bench/*.js) in sequence, in its own process, passing its
// output through: one JSON object per line on stdout, notes on stderr. Exits non-zero when a
// benchmark fails to run; a missed goal is printed by the benchmark and is not a failure.
//
//   node scripts/run-benches.mjs [NAME...] [--quick]
//
// NAMEs pick benchmarks whose file name contains one of them; options go to every benchmark.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/bench';
const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const options = args.filter((a) => a.startsWith('-'));
const files = (existsSync(root) ? readdirSync(root) : [])
  .filter((f) => f.endsWith('.js'))
  .filter((f) => names.length === 0 || names.some((n) => f.includes(n)))
  .sort()
  .map((f) => join(root, f));
if (files.length === 0) {
  console.error(
    `no benchmarks found under ${root}${names.length > 0 ? ` matching ${names.join(', ')}` : ''}`,
  );
  process.exit(1);
}
const failed = [];
for (const file of files) {
  console.error(`# ${file} ${options.join(' ')}`.trimEnd());
  const result = spawnSync(process.execPath, [file, ...options], { stdio: 'inherit' });
  if (result.status !== 0) {
    const why =
      result.error?.message ?? (result.signal ? `signal ${result.signal}` : `exit ${result.status}`);
    console.error(`# ${file} failed to run: ${why}`);
    failed.push(file);
  }
}
if (failed.length > 0) {
  console.error(`# ${failed.length} of ${files.length} benchmarks failed to run: ${failed.join(', ')}`);
  process.exit(1);
}
