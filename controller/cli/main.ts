#!/usr/bin/env -S node --max-semi-space-size=1 --no-opt
/**
 * The `poolpilot` executable. The node flags on the line above are part of it (BENCHMARKS.md,
 * footprint): `--max-semi-space-size=1` caps the young generation, whose 16 MB semi-spaces were
 * the swing of the sidecar's RSS; `--no-opt` leaves TurboFan out, whose compile zones and
 * compiler thread's malloc arena stay resident, at no CPU cost measurable at the sidecar's load
 * (Ignition and Sparkplug run its code). npm's bin link, a symlink to this file, keeps them. The image's ENTRYPOINT, the chart's container command and
 * `npm start` run `node` with the same flags (test/controller/bin-flags.test.ts holds them equal).
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
