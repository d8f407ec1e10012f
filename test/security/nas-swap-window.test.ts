import assert from 'node:assert/strict';
import { renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConfineMethod } from '../../examples/nas-service/confine.js';
import type { FsIo } from '../../examples/nas-service/io.js';
import { sampleFileContent } from '../../examples/nas-service/sample-tree.js';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService } from '../../examples/nas-service/server.js';
import { waitForAsync } from '../helpers/wait.js';
import { fetchRaw, leaks, makeArena, SIZES } from './nas-attack-fixture.js';
import type { Arena } from './nas-attack-fixture.js';

// The window between resolving a path (realpath, then stat) and opening it, made deterministic:
// the service's file-system calls are wrapped, and the swap runs just before the chosen call on
// the chosen path. Each case runs under both confinement methods (fd-path on Linux; resolve, the
// fallback without /proc).

/** A swap armed to run once, right before `call` on `path`. */
interface Trap {
  readonly call: 'stat' | 'open';
  readonly path: string;
  readonly swap: () => void;
}

let arena: Arena;
let trap: Trap | undefined;
let sprung = 0;

const spring = (call: Trap['call'], path: string): void => {
  if (trap === undefined || trap.call !== call || trap.path !== path) return;
  const { swap } = trap;
  trap = undefined;
  sprung++;
  swap();
};

const wrapIo = (io: FsIo): FsIo => ({
  ...io,
  stat: (path, done) => {
    spring('stat', path);
    io.stat(path, done);
  },
  open: (path, done) => {
    spring('open', path);
    io.open(path, done);
  },
});

before(() => {
  arena = makeArena();
});
after(() => arena.remove());

interface Case {
  readonly name: string;
  readonly call: Trap['call'];
  /** Changes the tree; returns how to undo it. */
  readonly swap: (dir: string) => () => void;
  /** The answer expected right after: a refusal, or the bytes of the file now legitimately there. */
  readonly expect: 'refused' | 'replacement';
}

const REPLACEMENT = sampleFileContent(99, SIZES.small);

const cases: readonly Case[] = [
  {
    name: 'between realpath and stat, a directory on the path becomes a symlink out',
    call: 'stat',
    swap: (dir) => {
      arena.swapToLink(dir);
      return () => arena.restore(dir);
    },
    expect: 'refused',
  },
  {
    name: 'between stat and open, a directory on the path becomes a symlink out',
    call: 'open',
    swap: (dir) => {
      arena.swapToLink(dir);
      return () => arena.restore(dir);
    },
    expect: 'refused',
  },
  {
    name: 'between stat and open, the file becomes a symlink out',
    call: 'open',
    swap: (dir) => {
      const file = join(arena.root, dir, 'f.bin');
      renameSync(file, `${file}.parked`);
      symlinkSync(join(arena.outside, dir, 'f.bin'), file);
      return () => {
        rmSync(file);
        renameSync(`${file}.parked`, file);
      };
    },
    expect: 'refused',
  },
  {
    name: 'between stat and open, another inside file is renamed over it',
    call: 'open',
    swap: (dir) => {
      const file = join(arena.root, dir, 'f.bin');
      renameSync(file, `${file}.parked`);
      writeFileSync(`${file}.new`, REPLACEMENT);
      renameSync(`${file}.new`, file);
      return () => renameSync(`${file}.parked`, file);
    },
    expect: 'replacement',
  },
];

for (const method of ['fd-path', 'resolve'] as const satisfies readonly ConfineMethod[]) {
  describe(`a swap in the resolve-to-open window (confinement by ${method})`, () => {
    let service: NasService;
    let next = 0;
    before(async () => {
      service = await startNasService({
        root: arena.root,
        port: 0,
        hardLinks: 'serve',
        confineMethod: method,
        wrapIo,
      });
    });
    after(() => service.close());

    for (const [sizeName, size] of Object.entries(SIZES)) {
      for (const c of cases) {
        test(`${c.name} (${sizeName} file)`, async () => {
          assert.equal(service.confineMethod, method);
          const dir = `${method}-${next++}`;
          const target = `/${dir}/f.bin`;
          const inside = arena.pair(dir, 'f.bin', size);
          let undo: (() => void) | undefined;
          const before = sprung;
          trap = { call: c.call, path: join(arena.root, dir, 'f.bin'), swap: () => (undo = c.swap(dir)) };
          try {
            const answer = await fetchRaw(url(service), 'GET', target);
            assert.equal(sprung, before + 1, 'the swap ran in the window');
            assert.ok(!leaks(answer.body), 'the response holds bytes from outside the root');
            if (c.expect === 'refused') {
              assert.equal(answer.status, 403);
            } else {
              assert.equal(answer.status, 200);
              assert.ok(answer.body.equals(REPLACEMENT), 'the file now at the path');
            }
          } finally {
            trap = undefined;
            undo?.();
          }
          // Legitimate again (after the replacement case, once the directory watch has told the
          // service that the file was renamed back).
          const served = await waitForAsync(async () => {
            const back = await fetchRaw(url(service), 'GET', target);
            assert.ok(!leaks(back.body));
            return back.status === 200 && back.body.equals(inside);
          });
          assert.ok(served, 'the legitimate file is served again once restored');
        });
      }
    }
  });
}

const url = (service: NasService): string => service.url;
