/**
 * Token files: a service's `tokenFile` is read at each use with the same bounds as the API token
 * file (no FIFO wait, no /dev/zero read, a size cap, no content in errors), and a token file that
 * group or others can read gets one warning in the log, which never holds the token.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { serviceToken } from '../../controller/service-token.js';
import { MAX_TOKEN_FILE_BYTES, looseTokenFileWarner } from '../../controller/token-file.js';
import type { ServiceSpec } from '../../policies/types.js';
import { seedYaml } from '../helpers/config.js';
import { cliPath } from '../helpers/paths.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

const TOKEN = 'tok-3f9c2a7e1b5d';

describe('token files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poolpilot-token-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer, mode = 0o600): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  };
  const spec = (tokenFile: string): ServiceSpec => ({ tokenFile }) as unknown as ServiceSpec;

  it('a service token file is read and trimmed', async () => {
    assert.equal(await serviceToken(spec(file('ok', `${TOKEN}\n`))), TOKEN);
  });

  it('a service token file that is a FIFO, /dev/zero or too large is refused, naming the file only', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]); // read at each push: a wait here held a thread of the pool for ever
    await assert.rejects(serviceToken(spec(fifo)), { message: `${fifo} is not a regular file` });
    await assert.rejects(serviceToken(spec('/dev/zero')), { message: '/dev/zero is not a regular file' });
    const big = file('big', TOKEN.repeat(1000));
    await assert.rejects(serviceToken(spec(big)), (err: Error) => {
      assert.equal(err.message, `${big} is larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
      return true;
    });
  });

  it('warns once per file readable by group or others, and not for an owner-only file', () => {
    const warnings: Array<{ obj: object; msg: string }> = [];
    const warn = looseTokenFileWarner({
      warn: (obj: object, msg?: string) => void warnings.push({ obj, msg: msg ?? '' }),
    });
    const loose = file('loose', TOKEN, 0o644);
    const group = file('group', TOKEN, 0o640);
    const tight = file('tight', TOKEN, 0o600);
    warn([
      { path: loose, what: 'POOLPILOT_API_TOKEN_FILE' },
      { path: group, what: 'services[0].tokenFile' },
      { path: tight, what: 'services[1].tokenFile' },
      { path: join(dir, 'missing'), what: 'services[2].tokenFile' },
    ]);
    warn([{ path: loose, what: 'POOLPILOT_API_TOKEN_FILE' }]); // a reload: no second warning
    assert.deepEqual(
      warnings.map((w) => w.msg),
      [
        `the token file ${loose} (POOLPILOT_API_TOKEN_FILE) is readable by group and others (mode 0644); make it readable by its owner only (chmod 600)`,
        `the token file ${group} (services[0].tokenFile) is readable by group (mode 0640); make it readable by its owner only (chmod 600)`,
      ],
    );
    assert.ok(!JSON.stringify(warnings).includes(TOKEN));
  });

  it('poolpilot run warns about loose token files at start, and never logs a token', async () => {
    const apiFile = file('api-token', `${TOKEN}-api\n`, 0o644);
    const serviceFile = file('service-token', `${TOKEN}-svc\n`, 0o604);
    const config = join(dir, 'policy.yaml');
    writeFileSync(
      config,
      seedYaml({ url: 'http://127.0.0.1:9' }).replace(
        '    pools:\n',
        `    tokenFile: ${serviceFile}\n    pools:\n`,
      ),
    );
    const child = spawn(process.execPath, [cliPath, 'run', '--config', config], {
      env: {
        ...process.env,
        POOLPILOT_PORT: '0',
        POOLPILOT_LOG_LEVEL: 'debug',
        POOLPILOT_API_TOKEN_FILE: apiFile,
      },
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => void (output += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => void (output += `${line}\n`));
    try {
      const seen = (): boolean =>
        output.includes('dashboard') && (output.match(/the token file /g) ?? []).length >= 2;
      assert.ok(await waitFor(seen, 500, 20), output);
      assert.match(
        output,
        new RegExp(
          `the token file ${apiFile} \\(POOLPILOT_API_TOKEN_FILE\\) is readable by group and others`,
        ),
      );
      assert.match(
        output,
        new RegExp(`the token file ${serviceFile} \\(services\\[0\\]\\.tokenFile\\) is readable by others`),
      );
      const base = /dashboard (http:\/\/\S+)\//.exec(output)?.[1];
      // Ready once a first tick ran: the service token file was read for it.
      assert.ok(await waitForAsync(async () => (await fetch(`${base}/readyz`)).status === 200, 300, 20));
      assert.ok(!output.includes(TOKEN), output);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
  });
});
