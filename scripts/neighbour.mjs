#!/usr/bin/env node
// A neighbour in a NAS's memory cgroup (the backup or scrub job sharing its pod): allocates BYTES
// of anonymous memory over RAMP_MS in 8 MiB steps, touching every page, holds it for HOLD_MS,
// then exits. Prints one JSON line when it holds all of it.
// Usage: node scripts/neighbour.mjs BYTES RAMP_MS HOLD_MS
import { Buffer } from 'node:buffer';

const [bytes, rampMs, holdMs] = process.argv.slice(2).map(Number);
if (![bytes, rampMs, holdMs].every((n) => Number.isFinite(n) && n >= 0)) {
  console.error('usage: neighbour.mjs BYTES RAMP_MS HOLD_MS');
  process.exit(2);
}
const STEP = 8 * 1024 * 1024;
const steps = Math.max(1, Math.ceil(bytes / STEP));
const held = [];
for (let i = 0; i < steps; i++) {
  const size = Math.min(STEP, bytes - i * STEP);
  const chunk = Buffer.allocUnsafeSlow(size);
  chunk.fill(i & 0xff); // touch every page: the kernel charges what is written
  held.push(chunk);
  await new Promise((resolve) => setTimeout(resolve, rampMs / steps));
}
console.log(JSON.stringify({ neighbour: 'holding', bytes: held.reduce((n, c) => n + c.length, 0) }));
await new Promise((resolve) => setTimeout(resolve, holdMs));
