/**
 * No problem message repeats a value written under a secret key (`token`, `...Password`,
 * `...Secret`): not the loader's, not `poolpilot validate`'s, not `policy.lastError` of a running
 * controller, whichever check finds the problem.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { validateCommand } from '../../controller/cli/validate.js';
import { formatConfigError, loadConfigText } from '../../policies/loader.js';
import { seedYaml } from '../helpers/config.js';
import { startCli } from '../helpers/processes.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

const SECRET = '12345678901234';

/** A valid configuration whose service carries `line` where the token goes. */
function withTokenLine(line: string): string {
  return seedYaml({ url: 'http://127.0.0.1:9' }).replace('    pools:\n', `    ${line}\n    pools:\n`);
}

function messages(text: string): string[] {
  const r = loadConfigText(text, 'policy.yaml');
  assert.equal(r.ok, false, 'the file is rejected');
  return r.ok ? [] : r.errors.map(formatConfigError);
}

describe('the loader never echoes a secret value', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'a number as token',
      `token: ${SECRET}`,
      /services\[0\]\.token: expected a non-empty string, got a number/,
    ],
    ['a hex number as token', 'token: 0x1234ABCD', /services\[0\]\.token: .*got a number/],
    ['a huge number as token', 'token: 12345678901234567890123', /got a number/],
    ['a list of tokens', `token: [${SECRET}, ${SECRET}]`, /services\[0\]\.token: .*got a list/],
    ['a token that YAML reads as a tag', 'token: !s3cr3tT0ken rest', /Unresolved tag: \[redacted\]/],
    ['a token that YAML reads as an alias', 'token: *s3cr3tT0ken', /Unresolved alias.*: \[redacted\]/],
    ['an empty token', 'token: ""', /services\[0\]\.token: expected a non-empty string, got an empty string/],
  ];
  for (const [name, line, expected] of cases) {
    it(`${name}: says what is wrong and where, without the value`, () => {
      const all = messages(withTokenLine(line)).join('\n');
      assert.match(all, expected);
      assert.match(all, /^policy\.yaml:\d+:\d+: /);
      for (const secret of [SECRET, '1234ABCD', '305441741', 's3cr3tT0ken', '1.2345678901234568e+22']) {
        assert.ok(!all.includes(secret), all);
      }
    });
  }

  it('keeps values under any key ending in token, password or secret out of messages', () => {
    // Unknown keys (the schema refuses them) and label values of a Prometheus term.
    const text = seedYaml({ url: 'http://127.0.0.1:9' }).replace(
      '    pools:\n',
      [
        '    load:',
        '      prometheus:',
        '        url: http://127.0.0.1:9/metrics',
        `        terms: [{ metric: up, limit: 1, labels: { dbPassword: ${SECRET} } }]`,
        `    apiToken: 98765432109876`,
        `    client_secret: 55555555555555`,
        '    pools:\n',
      ].join('\n'),
    );
    const all = messages(text).join('\n');
    assert.match(all, /labels\.dbPassword: expected a label value in quotes, such as "200", got a number/);
    assert.match(all, /unknown key "apiToken"/);
    for (const secret of [SECRET, '98765432109876', '55555555555555']) assert.ok(!all.includes(secret), all);
  });

  it('does not repeat the user info of a URL it refuses', () => {
    const text = seedYaml({ url: 'ftp://admin:hunter2pass@nas.local/' });
    const all = messages(text).join('\n');
    assert.match(
      all,
      /services\[0\]\.url: expected an http or https URL, got "ftp:\/\/\[redacted\]@nas\.local\/"/,
    );
    assert.ok(!all.includes('hunter2pass'), all);
  });

  it('still shows the values of other keys', () => {
    const all = messages(
      seedYaml({ url: 'http://127.0.0.1:9' }).replace('mode: enforce', 'mode: 12345'),
    ).join('\n');
    assert.match(all, /services\[0\]\.mode: expected enforce or observe, got 12345/);
  });
});

describe('secrets stay out of what an operator sees', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poolpilot-secrets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('poolpilot validate names the place and not the token', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, withTokenLine(`token: ${SECRET}`));
    let out = '';
    const code = await validateCommand([file], {
      stdout: (s) => void (out += s),
      stderr: (s) => void (out += s),
    });
    assert.equal(code, 1);
    assert.match(out, new RegExp(`^${file}:\\d+:\\d+: services\\[0\\]\\.token: expected a non-empty string`));
    assert.ok(!out.includes(SECRET), out);
  });

  it('a running controller rejects a reload without echoing the token in policy.lastError or its log', async () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, seedYaml({ url: 'http://127.0.0.1:9' }));
    const run = await startCli(['--config', file], {});
    const base = run.url;
    const output = { includes: (text: string): boolean => run.output().includes(text) };
    try {
      writeFileSync(file, withTokenLine(`token: ${SECRET}`)); // the watcher reloads it
      let lastError: string | null = null;
      assert.ok(
        await waitForAsync(
          async () => {
            const status = (await (await fetch(`${base}/api/v1/status`)).json()) as {
              policy: { lastError: string | null };
            };
            lastError = status.policy.lastError;
            return lastError !== null;
          },
          200,
          50,
        ),
        'the reload was rejected',
      );
      assert.match(String(lastError), /services\[0\]\.token: expected a non-empty string, got a number/);
      assert.ok(!String(lastError).includes(SECRET), String(lastError));
      assert.ok(await waitFor(() => output.includes('configuration rejected')), 'the rejection is logged');
      assert.ok(!output.includes(SECRET), run.output());
    } finally {
      await run.stop();
    }
  });
});
