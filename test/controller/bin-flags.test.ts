/**
 * The node flags of the `poolpilot` bin (its shebang line) reach node however the controller is
 * started: the installed command (npm links the bin, a symlink to dist/controller/cli/main.js),
 * `npm start`, and the image's ENTRYPOINT. The chart's container command is checked with the
 * other rendered wiring (test/helm/wiring.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { binNodeFlags, shebangNodeFlags } from '../helpers/bin-flags.js';
import { seedYaml } from '../helpers/config.js';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { FakeProcRoot } from '../helpers/proc-root.js';

const onLinux = process.platform === 'linux';

describe('the bin starts node with its flags', () => {
  const flags = binNodeFlags(cliPath);
  let dir: string;
  let proc: FakeProcRoot;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-bin-'));
    proc = new FakeProcRoot(0.1);
  });
  after(() => {
    proc.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('caps the young generation', () => {
    assert.ok(flags.includes('--max-semi-space-size=1'), `shebang flags: ${flags.join(' ')}`);
  });

  it(
    'run through an npm-style symlink, node gets the flags (cmdline and execArgv)',
    { skip: !onLinux },
    async () => {
      const config = join(dir, 'policy.yaml');
      writeFileSync(config, seedYaml({ url: 'http://127.0.0.1:1', interval: '59m' }));
      const link = join(dir, 'poolpilot');
      symlinkSync(cliPath, link);
      const child = spawn(link, ['run', '--config', config], {
        env: {
          ...process.env,
          POOLPILOT_PORT: '0',
          POOLPILOT_HOST: '127.0.0.1',
          POOLPILOT_LOG_LEVEL: 'debug',
          POOLPILOT_PROC_ROOT: proc.dir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        const logged = await new Promise<{ execArgv: string[] }>((resolve, reject) => {
          createInterface({ input: child.stdout }).on('line', (line) => {
            if (!line.startsWith('{')) return;
            const entry = JSON.parse(line) as { msg?: string; execArgv?: string[] };
            if (entry.msg === 'node flags' && entry.execArgv) resolve({ execArgv: entry.execArgv });
          });
          void exited.then((code) => reject(new Error(`poolpilot run exited ${code}: ${stderr}`)));
        });
        assert.deepEqual(logged.execArgv, flags);
        // The process the kernel started: env exec'd node in place, so the PID is node's.
        const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')
          .split('\0')
          .filter((a) => a !== '');
        assert.deepEqual(argv.slice(1, argv.indexOf(link)), flags, argv.join(' '));
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    },
  );

  it('npm start runs the bin itself', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    assert.equal(pkg.bin.poolpilot, 'dist/controller/cli/main.js');
    assert.match(pkg.scripts.start ?? '', /&& dist\/controller\/cli\/main\.js run$/);
  });

  it("the image's ENTRYPOINT runs node with the same flags", () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    const line = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
    assert.ok(line?.[1], 'an exec-form ENTRYPOINT');
    assert.deepEqual(JSON.parse(line[1]), ['node', ...flags, '/app/dist/controller/cli/main.js']);
  });

  it('reads the flags of env -S shebang lines, and none from others', () => {
    assert.deepEqual(shebangNodeFlags('#!/usr/bin/env -S node --a=1 --b'), ['--a=1', '--b']);
    assert.deepEqual(shebangNodeFlags('#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --a'), ['--a']);
    assert.deepEqual(shebangNodeFlags('#!/usr/bin/env node'), []);
    assert.deepEqual(shebangNodeFlags("import { main } from './dispatch.js';"), []);
  });
});
