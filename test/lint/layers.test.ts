/**
 * The layer rules of eslint.config.js (README "Layout") still fire: each forbidden arrow,
 * linted as if it were written in its folder, is an error, and each allowed one is not. Without
 * this, a typo in a glob or a renamed folder would turn the rules off without a sound.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import { repoRoot } from '../helpers/paths.js';

const eslint = new ESLint({ cwd: repoRoot });

/** The layer rules that fired on `code` linted as the file `path` (repo-relative). */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repoRoot}/${path}` });
  assert.ok(result !== undefined);
  const fatal = result.messages.filter((m) => m.fatal === true);
  assert.deepEqual(fatal, [], `${path} does not parse`);
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

const forbidden: [file: string, code: string][] = [
  ['policies/fixture.ts', "import type { Reading } from '../probes/meminfo.js';"],
  ['policies/fixture.ts', "import { Controller } from '../controller/controller.js';"],
  ['policies/fixture.ts', "export { HttpPusher } from '../controller/actuator.js';"],
  ['probes/fixture.ts', "import { systemClock } from '../controller/x.js';"],
  ['probes/fixture.ts', "import type { Policy } from '../policies/types.js';"],
  ['probes/nested/fixture.ts', "import type { Config } from '../../policies/types.js';"],
  ['agent/fixture.ts', "import type { AgentStats } from '../probes/service-load.js';"],
  ['agent/fixture.ts', "export * from '../controller/x.js';"],
  ['core/fixture.ts', "import type { Policy } from '../policies/types.js';"],
  ['core/fixture.ts', "import { AgentProtocol } from '../agent/protocol.js';"],
  ['core/kernel/fixture.ts', "import { ProcFile } from '../../probes/proc-file.js';"],
  ['examples/nas-service/fixture.ts', "import { Controller } from '../../controller/controller.js';"],
  ['examples/nas-service/fixture.ts', "import { decide } from '../../policies/decide.js';"],
  ['controller/fixture.ts', "import { ManualClock } from '../test/helpers/manual-clock.js';"],
  ['policies/fixture.ts', "export const later = () => import('../controller/x.js');"],
  ['probes/fixture.ts', "export const later = () => import('../policies/x.js');"],
];

const allowed: [file: string, code: string][] = [
  ['policies/fixture.ts', "import type { Signals } from '../core/signals.js';"],
  ['policies/fixture.ts', "import { decide } from './decide.js';"],
  ['probes/fixture.ts', "import { systemClock } from '../core/clock.js';"],
  ['agent/fixture.ts', "import { validateResizeBody } from '../core/protocol.js';"],
  ['agent/fixture.ts', "import { parsePsi } from '../core/kernel/psi-parse.js';"],
  ['probes/fixture.ts', "import { parseFlatKeyed } from '../core/kernel/flat-keyed.js';"],
  ['examples/nas-service/fixture.ts', "import { ResizablePool } from '../../agent/index.js';"],
  ['examples/nas-service/fixture.ts', "import { Clock } from '../../core/clock.js';"],
  ['controller/fixture.ts', "import { decide } from '../policies/decide.js';"],
  ['controller/api/fixture.ts', "import { fetchServiceStats } from '../../probes/service-load.js';"],
  ['controller/fixture.ts', "export const later = () => import('../probes/meminfo.js');"],
  ['test/fixture.ts', "import { Controller } from '../controller/controller.js';"],
];

describe('eslint layer rules', () => {
  for (const [file, code] of forbidden) {
    test(`${file} may not: ${code}`, async () => {
      const errors = await layerErrors(file, code);
      assert.equal(errors.length, 1, `expected one layer error, got ${JSON.stringify(errors)}`);
      assert.match(errors[0] ?? '', /must not import .*README "Layout"/);
    });
  }
  for (const [file, code] of allowed) {
    test(`${file} may: ${code}`, async () => {
      assert.deepEqual(await layerErrors(file, code), []);
    });
  }
});
