#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * The `poolpilot` executable. The node flags on the line above are part of it (BENCHMARKS.md,
 * footprint): `--max-semi-space-size=1` caps the young generation, whose 16 MB semi-spaces were
 * the swing of the sidecar's RSS (`--no-opt` was measured too and left out: its saving was within
 * the run-to-run swing of the RSS, and it cut the API's throughput sixfold). npm's bin link, a
 * symlink to this file, keeps the flags. The image's ENTRYPOINT, the chart's container command
 * and `npm start` run `node` with the same flags (test/controller/bin-flags.test.ts holds them
 * equal).
 */
import { main } from './dispatch.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`poolpilot: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
