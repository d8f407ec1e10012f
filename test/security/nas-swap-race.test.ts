import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService } from '../../examples/nas-service/server.js';
import { fetchRaw, leaks, makeArena, SIZES } from './nas-attack-fixture.js';
import type { Arena } from './nas-attack-fixture.js';

// The racing version: another process flips a directory of the root between the real one and a
// symlink out of the root as fast as it can, while the test asks for the files under it. Bounded
// by a request count (and the flipper by a deadline of its own), never by a measured time.

/** Requests per file size and service; the flipper stops on its own after FLIP_DEADLINE_MS anyway. */
const REQUESTS = 300;
const CONCURRENCY = 4;
const FLIP_DEADLINE_MS = 60_000;

/** Flips root/dir <-> symlink to outside/dir until killed or its deadline (argv: root outside dir deadline). */
const FLIPPER = `
const fs = require('node:fs');
const [root, outside, dir, deadline] = process.argv.slice(1);
const real = root + '/' + dir, parked = real + '.parked', link = outside + '/' + dir;
const end = Date.now() + Number(deadline);
process.stdout.write('ready\\n');
while (Date.now() < end) {
  fs.renameSync(real, parked);
  fs.symlinkSync(link, real);
  fs.rmSync(real);
  fs.renameSync(parked, real);
}
`;

function startFlipper(arena: Arena, dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-e', FLIPPER, arena.root, arena.outside, dir, String(FLIP_DEADLINE_MS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the flipper exited with ${String(code)}`)));
  });
}

async function stopFlipper(child: ChildProcess, arena: Arena, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  // Killed anywhere in its loop: put the real directory back.
  const real = join(arena.root, dir);
  const parked = `${real}.parked`;
  if (existsSync(parked)) {
    if (existsSync(real) || isLink(real)) rmSync(real);
    renameSync(parked, real);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

let arena: Arena;
before(() => {
  arena = makeArena();
});
after(() => arena.remove());

const configurations = {
  'pools off (every request resolves and opens)': { handles: 0, metadata: 0 },
  'pools on': {},
} as const;

for (const [name, capacities] of Object.entries(configurations)) {
  describe(`a directory flipped to a symlink out of the root by another process, ${name}`, () => {
    let service: NasService;
    before(async () => {
      service = await startNasService({ root: arena.root, port: 0, capacities, hardLinks: 'serve' });
    });
    after(() => service.close());

    for (const [sizeName, size] of Object.entries(SIZES)) {
      test(`${REQUESTS} GETs of a ${sizeName} file: never an outside byte, the inside file whole or a refusal`, async () => {
        const dir = `race-${sizeName}-${Object.keys(capacities).length}`;
        const inside = arena.pair(dir, 'f.bin', size);
        const target = `/${dir}/f.bin`;
        const statuses = new Map<number, number>();
        let leaked = 0;
        let wrong = 0;
        const flipper = await startFlipper(arena, dir);
        try {
          let sent = 0;
          const worker = async (): Promise<void> => {
            while (sent < REQUESTS) {
              sent++;
              const answer = await fetchRaw(service.url, 'GET', target);
              statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
              if (leaks(answer.body)) leaked++;
              else if (answer.status === 200 && !answer.cut && !answer.body.equals(inside)) wrong++;
            }
          };
          await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        } finally {
          await stopFlipper(flipper, arena, dir);
        }
        const summary = JSON.stringify([...statuses]);
        assert.equal(leaked, 0, `responses with outside bytes; statuses ${summary}`);
        assert.equal(wrong, 0, `200s with other bytes than the inside file; statuses ${summary}`);
        for (const status of statuses.keys()) assert.ok([200, 403, 404, 503].includes(status), summary);
        const back = await fetchRaw(service.url, 'GET', target);
        assert.equal(back.status, 200);
        assert.ok(back.body.equals(inside), 'the legitimate file is served once the flipping stops');
      });
    }
  });
}
