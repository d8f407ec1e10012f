import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService } from '../../examples/nas-service/server.js';
import { makeTree, raw } from './nas-fixture.js';
import type { Tree } from './nas-fixture.js';

let tree: Tree;
let service: NasService;
let url: string;

before(async () => {
  tree = makeTree();
  symlinkSync('loop-b', join(tree.root, 'loop-a'));
  symlinkSync('loop-a', join(tree.root, 'loop-b'));
  service = await startNasService({ root: tree.root, port: 0 });
  url = service.url;
});
after(async () => {
  await service.close();
  tree.remove();
});

/** Sends bytes as they are (for what no HTTP client will send) and returns the status line. */
function statusLine(bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes, 'latin1'));
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.slice(0, answer.indexOf('\r\n')));
      }
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(answer));
  });
}

describe('paths are confined to the root', () => {
  const escapes: [string, number][] = [
    ['/../outside/secret.txt', 403],
    ['/sub/../../outside/secret.txt', 403],
    ['/%2e%2e/outside/secret.txt', 403],
    ['/sub/%2E%2E/%2e%2e/outside/secret.txt', 403],
    ['/..%2foutside%2fsecret.txt', 400],
    ['/..%5coutside%5csecret.txt', 400],
    ['/..\\outside\\secret.txt', 400],
    ['/hello.txt%00.png', 400],
    ['/link-out.txt', 403],
    ['/dir-out/secret.txt', 403],
    ['/dir-out/', 403],
  ];
  for (const [target, status] of escapes) {
    test(`GET ${target} -> ${status}`, async () => {
      const response = await raw(url, 'GET', target);
      assert.equal(response.status, status);
      assert.doesNotMatch(response.body.toString(), /secret/);
    });
  }

  test('PROPFIND cannot list outside the root either', async () => {
    assert.equal((await raw(url, 'PROPFIND', '/dir-out/', { depth: '1' })).status, 403);
    assert.equal((await raw(url, 'PROPFIND', '/../', { depth: '1' })).status, 403);
  });

  test('a symlink inside the root is served, a symlinked directory inside it too', async () => {
    assert.equal((await raw(url, 'GET', '/link-in.txt')).body.toString(), 'hello, world\n');
    assert.equal((await raw(url, 'GET', '/dir-in/deeper/x.json')).body.toString(), '{"x":1}\n');
  });

  test('a symlink loop is a 404', async () => {
    assert.equal((await raw(url, 'GET', '/loop-a')).status, 404);
  });

  test('a raw NUL byte never reaches a file: the HTTP parser answers 400', async () => {
    assert.match(await statusLine('GET /hello.txt\0 HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400/);
  });
});

describe('malformed requests get a 4xx', () => {
  test('bad percent-encoding is 400', async () => {
    for (const target of ['/%zz', '/%', '/%C3', '/sub/%E0%A4%A']) {
      assert.equal((await raw(url, 'GET', target)).status, 400, target);
    }
  });

  test('a request target that is not an origin-form path is 400', async () => {
    assert.match(await statusLine('GET http://example.com/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n'), / 400 /);
    assert.match(await statusLine('GET * HTTP/1.1\r\nHost: x\r\n\r\n'), / 400 /);
  });

  test('a garbled request line is 400', async () => {
    assert.match(await statusLine('GARBAGE\r\n\r\n'), / 400 /);
  });

  test('a name too long for the file system is 414', async () => {
    assert.equal((await raw(url, 'GET', `/${'a'.repeat(300)}`)).status, 414);
  });
});
