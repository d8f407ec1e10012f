/**
 * A connection cut while a file request is still opening its file: the buffer and the handle the
 * request goes on to take come back to their pools, whether its response was the one on the wire
 * or one queued behind it (HTTP/1.1 pipelining, as undici does with `pipelining` > 1), and whether
 * the file is sent with one read or streamed. Made deterministic: the service's opens are held
 * until the server has seen every request of the connection close.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import type { FsIo } from '../../examples/nas-service/io.js';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService } from '../../examples/nas-service/server.js';
import { waitFor } from '../helpers/wait.js';
import { makeTree } from './nas-fixture.js';

/** Opens the service asked for, held until `release`. */
class HeldOpens {
  readonly #held: (() => void)[] = [];
  get count(): number {
    return this.#held.length;
  }
  hold(run: () => void): void {
    this.#held.push(run);
  }
  release(): void {
    for (const run of this.#held.splice(0)) run();
  }
}

interface Case {
  readonly name: string;
  /** The paths requested on one connection, pipelined; the last one is the request looked at. */
  readonly paths: readonly string[];
}

const ONE_READ = '/sub/small.bin'; // 8 KiB: one read into a pooled 16 KiB buffer
const STREAMED = '/sub/large.bin'; // 100 KB: streamed through a pooled buffer

const cases: readonly Case[] = [
  { name: 'one read, the response on the wire', paths: [ONE_READ] },
  { name: 'one read, a response queued behind another', paths: ['/hello.txt', ONE_READ] },
  { name: 'streamed, the response on the wire', paths: [STREAMED] },
  { name: 'streamed, a response queued behind another', paths: ['/hello.txt', STREAMED] },
];

const CHANNEL = 'http.server.request.start';

for (const c of cases) {
  test(`connection cut while opening the file (${c.name}): the buffer and the handle come back`, async (t) => {
    const tree = makeTree();
    t.after(() => tree.remove());
    const opens = new HeldOpens();
    const wrapIo = (io: FsIo): FsIo => ({
      ...io,
      open: (path, done) => opens.hold(() => io.open(path, done)),
    });
    // No content pool: every GET reads the file.
    const nas: NasService = await startNasService({
      root: tree.root,
      capacities: { content: 0 },
      memory: 'off',
      watchDirectories: false,
      wrapIo,
    });
    t.after(() => nas.close());

    // The server's own request objects, to know when each has closed.
    const seen: IncomingMessage[] = [];
    const onStart = (message: unknown): void => {
      seen.push((message as { request: IncomingMessage }).request);
    };
    subscribe(CHANNEL, onStart);
    t.after(() => unsubscribe(CHANNEL, onStart));

    const { port } = new URL(nas.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(c.paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: nas\r\n\r\n`).join(''));
    assert.ok(
      await waitFor(() => opens.count === c.paths.length),
      `${opens.count} of ${c.paths.length} opens`,
    );

    socket.destroy();
    assert.equal(seen.length, c.paths.length);
    const closed = (req: IncomingMessage): Promise<void> =>
      new Promise((resolve) => (req.closed ? resolve() : req.once('close', () => resolve())));
    await Promise.all(seen.map(closed));
    // Each request holds a handle from before its open until it is done with the file.
    const { buffers, handles } = nas.pools;
    assert.equal(handles.stats().inUse, c.paths.length);
    opens.release();

    const rested = await waitFor(() => buffers.stats().inUse === 0 && handles.stats().inUse === 0);
    assert.ok(rested, `at rest: ${JSON.stringify([buffers.stats(), handles.stats()])}`);
  });
}
