/**
 * The neighbour of the scenario: the backup or scrub job that shares the NAS's container. Run as
 * `node neighbour-child.js BYTES RAMP_MS HOLD_MS` inside the cgroup: allocates BYTES of anonymous
 * memory in 1 MiB chunks spread evenly over RAMP_MS, writing every page, holds it for HOLD_MS, then
 * exits. Prints `{"allocated": BYTES}` once it holds everything.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const CHUNK = 1024 * 1024;

async function main(): Promise<void> {
  const [bytes, rampMs, holdMs] = process.argv.slice(2).map(Number);
  if (![bytes, rampMs, holdMs].every((v) => Number.isFinite(v) && (v as number) >= 0)) {
    process.stderr.write('usage: neighbour-child BYTES RAMP_MS HOLD_MS\n');
    process.exit(2);
  }
  const chunks = Math.ceil((bytes as number) / CHUNK);
  const held: Buffer[] = [];
  const start = performance.now();
  for (let i = 0; i < chunks; i++) {
    // Outside the V8 heap, and every page written: the kernel must find real memory for it.
    held.push(Buffer.allocUnsafeSlow(CHUNK).fill(1 + (i % 255)));
    const due = start + ((i + 1) / chunks) * (rampMs as number);
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
  process.stdout.write(`${JSON.stringify({ allocated: held.length * CHUNK })}\n`);
  await sleep(holdMs as number);
  process.exit(0);
}

void main();
