import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  generateSampleTree,
  sampleFileContent,
  sampleFilePath,
} from '../../examples/nas-service/sample-tree.js';
import { bearer, makeTree } from './nas-fixture.js';
import type { Tree } from './nas-fixture.js';

/** The built command, beside this compiled test wherever the build went. */
const mainPath = fileURLToPath(new URL('../../examples/nas-service/main.js', import.meta.url));

let tree: Tree;
before(() => {
  tree = makeTree();
});
after(() => tree.remove());

/** Spawns the command and resolves with its URL once it printed its JSON line. */
function spawnNas(
  args: readonly string[],
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [mainPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL line within 10 s; stderr: ${err}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve({ child, url: (JSON.parse(out.slice(0, newline)) as { url: string }).url, stderr: () => err });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before printing its URL; stderr: ${err}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

const run = (args: readonly string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, [mainPath, ...args], { encoding: 'utf8', timeout: 10_000 });

describe('poolpilot-nas command', () => {
  test('--help prints the usage and exits 0', () => {
    const result = run(['--help']);
    assert.equal(result.status, 0);
    assert.match(String(result.stdout), /^usage: poolpilot-nas --root DIR \[--port N\]/);
  });

  const usageErrors: string[][] = [
    [],
    ['--port', '1'],
    ['--root'],
    ['--root', 'x', '--port', 'http'],
    ['--root', 'x', '--port', '70000'],
    ['--root', 'x', '--bogus'],
    ['--root', 'x', 'extra'],
    ['--root', 'x', '--host', ''],
    ['--root', 'x', '--content-max-file', '64KB'],
    ['--root', 'x', '--content-max-file', '-1'],
  ];
  for (const args of usageErrors) {
    test(`usage error [${args.join(' ')}] exits 2 with the usage on stderr`, () => {
      const result = run(args);
      assert.equal(result.status, 2);
      assert.match(String(result.stderr), /usage: poolpilot-nas/);
      assert.equal(result.stdout, '');
    });
  }

  test('a root that does not exist, or an unreadable token file, exits 1', () => {
    const missing = run(['--root', join(tree.root, 'missing'), '--port', '0']);
    assert.equal(missing.status, 1);
    assert.match(String(missing.stderr), /ENOENT/);
    const notDir = run(['--root', join(tree.root, 'hello.txt'), '--port', '0']);
    assert.equal(notDir.status, 1);
    const token = run(['--root', tree.root, '--port', '0', '--token-file', '/nonexistent/token']);
    assert.equal(token.status, 1);
  });

  test('prints its URL, serves files and the agent with its token, exits 0 on SIGTERM', async () => {
    const tokenFile = join(tree.outside, 'token');
    writeFileSync(tokenFile, 'cli-token\n');
    const { child, url, stderr } = await spawnNas([
      '--root',
      tree.root,
      '--port',
      '0',
      '--token-file',
      tokenFile,
    ]);
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const file = await fetch(`${url}/sub/small.bin`);
      assert.equal(file.status, 200);
      assert.deepEqual(
        Buffer.from(await file.arrayBuffer()),
        readFileSync(join(tree.root, 'sub', 'small.bin')),
      );
      assert.equal((await fetch(`${url}/poolpilot/v1/stats`)).status, 401);
      const resized = await fetch(`${url}/poolpilot/v1/pools/handles`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...bearer('cli-token') },
        body: JSON.stringify({ capacity: 9, reason: 'test' }),
      });
      assert.equal(resized.status, 200);
      child.kill('SIGTERM');
      assert.deepEqual(await exitOf(child), { code: 0, signal: null });
      const lines = stderr()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { event: string; pool?: string; capacity?: number });
      assert.deepEqual(lines[0], {
        event: 'resize',
        service: 'nas',
        pool: 'handles',
        capacity: 9,
        previous: 256,
        reason: 'test',
      });
      assert.deepEqual(lines.at(-1), { event: 'stopped', signal: 'SIGTERM' });
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('SIGINT stops it too; --quiet logs nothing but the missing-token warning', async () => {
    const { child, url, stderr } = await spawnNas(['--root', tree.root, '--port', '0', '--quiet']);
    child.kill('SIGINT');
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
    assert.equal(
      stderr(),
      `poolpilot-nas: warning: no --token-file: anyone who can reach ${url} can resize the pools ` +
        '(PUT /poolpilot/v1/pools/...)\n',
    );
  });
});

describe('poolpilot-nas without a token', () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.1', 'nas.example']) {
    test(`refuses to start on non-loopback --host ${host}: exit 2, nothing listens`, () => {
      const result = run(['--root', tree.root, '--port', '0', '--host', host]);
      assert.equal(result.status, 2);
      assert.match(String(result.stderr), /is not a loopback address and no --token-file is given/);
      assert.equal(String(result.stdout), '');
    });
  }

  test('--insecure-no-token lets it start on a non-loopback host, with the warning; the routes stay open', async () => {
    const { child, url, stderr } = await spawnNas([
      ...['--root', tree.root, '--port', '0', '--host', '0.0.0.0', '--insecure-no-token', '--quiet'],
    ]);
    try {
      assert.match(stderr(), /warning: no --token-file/);
      const port = new URL(url).port;
      const resized = await fetch(`http://127.0.0.1:${port}/poolpilot/v1/pools/handles`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ capacity: 9, reason: 'test' }),
      });
      assert.equal(resized.status, 200);
    } finally {
      child.kill('SIGKILL');
      await exitOf(child);
    }
  });

  test('a token file: no warning, even on a non-loopback host', async () => {
    const tokenFile = join(tree.outside, 'token2');
    writeFileSync(tokenFile, 'cli-token\n');
    const { child, stderr } = await spawnNas([
      ...['--root', tree.root, '--port', '0', '--host', '0.0.0.0', '--token-file', tokenFile, '--quiet'],
    ]);
    child.kill('SIGTERM');
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
    assert.equal(stderr(), '');
  });

  test('--hard-links refuse: a hard-linked file is a 403, the others are served', async () => {
    linkSync(join(tree.root, 'hello.txt'), join(tree.root, 'hello-again.txt'));
    const { child, url } = await spawnNas([
      '--root',
      tree.root,
      '--port',
      '0',
      '--hard-links',
      'refuse',
      '--quiet',
    ]);
    try {
      assert.equal((await fetch(`${url}/hello-again.txt`)).status, 403);
      assert.equal((await fetch(`${url}/hello.txt`)).status, 403, 'both names of the inode');
      assert.equal((await fetch(`${url}/sub/small.bin`)).status, 200);
    } finally {
      child.kill('SIGKILL');
      await exitOf(child);
      unlinkSync(join(tree.root, 'hello-again.txt'));
    }
  });

  test('--hard-links takes auto, serve or refuse', () => {
    const result = run(['--root', tree.root, '--hard-links', 'sometimes']);
    assert.equal(result.status, 2);
    assert.match(String(result.stderr), /--hard-links: must be one of auto, serve, refuse, got sometimes/);
  });
});

describe('sample tree', () => {
  test('is deterministic, perDir files a directory, every file different', async () => {
    const dir = join(tree.outside, 'sample');
    await generateSampleTree(dir, { files: 25, sizeBytes: 101, perDir: 10 });
    assert.equal(sampleFilePath(0, 10), 'd0000/f000000.bin');
    assert.equal(sampleFilePath(24, 10), 'd0002/f000024.bin');
    const contents = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const content = readFileSync(join(dir, sampleFilePath(i, 10)));
      assert.deepEqual(content, sampleFileContent(i, 101));
      contents.add(content.toString('hex'));
    }
    assert.equal(contents.size, 25);
    assert.deepEqual(sampleFileContent(3, 64), sampleFileContent(3, 64));
    assert.equal(sampleFilePath(7), 'd0000/f000007.bin');
    await assert.rejects(generateSampleTree(dir, { files: -1, sizeBytes: 1 }), RangeError);
    await assert.rejects(generateSampleTree(dir, { files: 1, sizeBytes: 1, perDir: 0 }), RangeError);
  });
});
