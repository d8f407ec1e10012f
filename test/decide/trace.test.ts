import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimChange } from '../../controller/simulate.js';
import { simulate } from '../../controller/simulate.js';
import { TraceError, parseTraceLine } from '../../controller/trace-line.js';
import { linearRules, makeConfig } from './configs.js';

const services = ['nas', 'db'];
const parse = (line: string, lineNo = 1) => parseTraceLine(line, lineNo, 'trace.jsonl', services);

/** The `FILE:LINE: message` a bad line gives. */
function errorOf(line: string, lineNo = 1): string {
  try {
    parse(line, lineNo);
  } catch (err) {
    assert.ok(err instanceof TraceError);
    assert.equal(err.code, 'POOLPILOT_TRACE_INVALID');
    assert.equal(err.file, 'trace.jsonl');
    assert.equal(err.line, lineNo);
    return err.message;
  }
  assert.fail(`no error for ${line}`);
}

async function collect(changes: AsyncIterable<SimChange>): Promise<SimChange[]> {
  const out: SimChange[] = [];
  for await (const c of changes) out.push(c);
  return out;
}

describe('trace lines', () => {
  it('reads a tick with a load for every service', () => {
    assert.deepEqual(parse('{"t": 0, "cache": 0.25, "load": 0.4}'), {
      t: 0,
      cache: 0.25,
      load: { nas: 0.4, db: 0.4 },
    });
  });

  it('reads a load per service; a service left out has no load', () => {
    assert.deepEqual(parse('{"t": 1000, "cache": 1, "load": {"db": 0}}'), {
      t: 1000,
      cache: 1,
      load: { db: 0 },
    });
  });

  it('treats a signal left out, or null, as missing', () => {
    assert.deepEqual(parse('{"t": 5}'), { t: 5, load: {} });
    assert.deepEqual(parse('{"t": 5, "cache": null, "load": null}'), { t: 5, load: {} });
    assert.deepEqual(parse('{"t": 5, "load": {"nas": null}}'), { t: 5, load: {} });
  });

  it('skips blank lines and a byte order mark', () => {
    assert.equal(parse(''), null);
    assert.deepEqual(parse('\uFEFF{"t": 0}'), { t: 0, load: {} });
    assert.equal(parse('   \t'), null);
  });

  const bad: ReadonlyArray<[string, string]> = [
    ['{"t": 0,', 'trace.jsonl:7: invalid JSON: '],
    ['[1, 2]', 'trace.jsonl:7: a trace line must be a JSON object, got an array'],
    ['42', 'trace.jsonl:7: a trace line must be a JSON object, got 42'],
    ['null', 'trace.jsonl:7: a trace line must be a JSON object, got null'],
    ['{"cache": 0.5}', 'trace.jsonl:7: missing "t" (milliseconds from the trace start)'],
    ['{"t": "0"}', 'trace.jsonl:7: "t" must be a number of milliseconds, got the string "0"'],
    ['{"t": null}', 'trace.jsonl:7: "t" must be a number of milliseconds, got null'],
    ['{"t": -1}', 'trace.jsonl:7: "t" must not be negative, got -1'],
    ['{"t": 1e999}', 'trace.jsonl:7: "t" must be a finite number of milliseconds, got Infinity'],
    ['{"t": 0, "cache": 1.5}', 'trace.jsonl:7: "cache" must be between 0 and 1, got 1.5'],
    ['{"t": 0, "cache": -0.1}', 'trace.jsonl:7: "cache" must be between 0 and 1, got -0.1'],
    [
      '{"t": 0, "cache": "high"}',
      'trace.jsonl:7: "cache" must be a number between 0 and 1, got the string "high"',
    ],
    ['{"t": 0, "load": true}', 'trace.jsonl:7: "load" must be a number between 0 and 1, got true'],
    [
      '{"t": 0, "load": [0.5]}',
      'trace.jsonl:7: "load" must be a number or an object of numbers per service, got an array',
    ],
    ['{"t": 0, "load": {"nas": 2}}', 'trace.jsonl:7: "load.nas" must be between 0 and 1, got 2'],
    [
      '{"t": 0, "load": {"web": 0.5}}',
      'trace.jsonl:7: "load" names unknown service "web" (services: nas, db)',
    ],
    ['{"t": 0, "memory": 0.5}', 'trace.jsonl:7: unknown key "memory" (expected t, cache, load)'],
  ];
  for (const [line, message] of bad) {
    it(`rejects ${line}`, () => {
      const got = errorOf(line, 7);
      if (message.endsWith(': ')) assert.ok(got.startsWith(message), got);
      else assert.equal(got, message);
    });
  }
});

describe('simulate()', () => {
  const config = makeConfig();

  it('yields one change per capacity change, with the contract keys in order', async () => {
    const lines = [0, 1000, 2000, 3000, 4000, 5000].map((t) => JSON.stringify({ t, cache: 0.75, load: 0.4 }));
    const changes = await collect(simulate(config, lines, 'trace.jsonl'));
    assert.deepEqual(changes, [
      {
        t: 0,
        service: 'nas',
        pool: 'buffers',
        from: 1024,
        to: 819,
        action: 'shrink',
        rule: 0,
        reason: 'cache 0.75 > 0.70 (high): shrink 1024 x 0.8 -> 819',
      },
      {
        t: 5000,
        service: 'nas',
        pool: 'buffers',
        from: 819,
        to: 655,
        action: 'shrink',
        rule: 0,
        reason: 'cache 0.75 > 0.70 (high): shrink 819 x 0.8 -> 655',
      },
    ]);
    assert.deepEqual(Object.keys(changes[0]!), [
      't',
      'service',
      'pool',
      'from',
      'to',
      'action',
      'rule',
      'reason',
    ]);
  });

  it('treats a signal left out as missing: onMissing, never growth', async () => {
    const base = makeConfig({ onMissing: 'base' });
    const lines = [
      '{"t": 0, "cache": 0.9, "load": 0.4}',
      '{"t": 1000, "load": 0.99}',
      '{"t": 2000, "load": 0.99}',
    ];
    const changes = await collect(simulate(base, lines, 'trace.jsonl'));
    assert.deepEqual(
      changes.map((c) => [c.t, c.from, c.to, c.action, c.rule]),
      [
        [0, 1024, 819, 'shrink', 0],
        [1000, 819, 1024, 'missing', null],
      ],
    );
  });

  it('replays a linear policy per service', async () => {
    const two = makeConfig({ rules: linearRules, services: ['nas', 'db'] });
    const changes = await collect(
      simulate(two, ['{"t": 0, "cache": 0.5, "load": {"nas": 0.4, "db": 0.4}}'], 'x'),
    );
    assert.deepEqual(
      changes.map((c) => [c.service, c.to, c.action]),
      [
        ['nas', 840, 'linear'],
        ['db', 840, 'linear'],
      ],
    );
  });

  it('accepts repeated times and reads async line sources', async () => {
    async function* lines() {
      yield '{"t": 0, "cache": 0.75, "load": 0.4}';
      yield '';
      yield '{"t": 0, "cache": 0.75, "load": 0.4}';
    }
    const changes = await collect(simulate(config, lines(), 'trace.jsonl'));
    assert.equal(changes.length, 1);
  });

  it('stops at a time going backwards, after the changes before it', async () => {
    const lines = ['{"t": 5000, "cache": 0.75, "load": 0.4}', '', '{"t": 4999, "cache": 0.75, "load": 0.4}'];
    const seen: SimChange[] = [];
    await assert.rejects(
      async () => {
        for await (const c of simulate(config, lines, 'trace.jsonl')) seen.push(c);
      },
      (err: unknown) =>
        err instanceof TraceError && err.message === 'trace.jsonl:3: "t" goes backwards: 4999 after 5000',
    );
    assert.equal(seen.length, 1);
  });
});
