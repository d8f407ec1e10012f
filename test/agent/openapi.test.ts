import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import Fastify from 'fastify';
import { createAgentHandler } from '../../agent/http-handler.js';
import { LoadMonitor } from '../../agent/load-monitor.js';
import openapi from '../../agent/openapi.json' with { type: 'json' };
import { poolpilotAgent } from '../../agent/plugin.js';
import { POOL_PATH, STATS_PATH, validateResizeBody } from '../../agent/protocol.js';
import type { PoolpilotAgentOptions } from '../../agent/protocol.js';
import { ResizablePool } from '../../agent/resizable-pool.js';

/** The document as plain JSON, to walk without the literal types of the import. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
const doc = openapi as unknown as JsonObject;
const obj = (value: Json | undefined, where: string): JsonObject => {
  assert.ok(
    typeof value === 'object' && value !== null && !Array.isArray(value),
    `${where} must be an object`,
  );
  return value;
};

const STATS = '/poolpilot/v1/stats';
const POOL = '/poolpilot/v1/pools/{name}';
const DOC_ID = 'urn:poolpilot:agent-openapi';

/** Ajv for JSON Schema 2020-12 (OpenAPI 3.1's dialect) over the whole document, so its `$ref`s resolve. */
function schemaCompiler(): (schema: Json) => ValidateFunction {
  const ajv = new Ajv2020({ strict: true, formats: { int64: true } });
  for (const keyword of ['openapi', 'info', 'servers', 'security', 'paths', 'components'])
    ajv.addKeyword(keyword);
  ajv.addSchema({ ...doc, $id: DOC_ID });
  return (schema) => {
    const ref = obj(schema, 'schema').$ref;
    if (typeof ref === 'string') return ajv.getSchema(`${DOC_ID}${ref}`) as ValidateFunction;
    return ajv.compile(schema as object);
  };
}

/** Every value of `key` anywhere in `value`, with where it is. */
function* walk(value: Json, key: string, where = '#'): Generator<[Json, string]> {
  if (typeof value !== 'object' || value === null) return;
  for (const [k, v] of Object.entries(value)) {
    if (k === key) yield [v, `${where}/${k}`];
    yield* walk(v, key, `${where}/${k}`);
  }
}

const operation = (path: string, method: string): JsonObject =>
  obj(obj(obj(doc.paths, 'paths')[path], path)[method], `${method} ${path}`);
const response = (path: string, method: string, status: number): JsonObject =>
  obj(obj(operation(path, method).responses, 'responses')[String(status)], `${method} ${path} ${status}`);
const jsonContent = (holder: JsonObject, where: string): JsonObject =>
  obj(obj(holder.content, `${where} content`)['application/json'], `${where} application/json`);

describe('agent/openapi.json', () => {
  test('is an OpenAPI 3.1 document of exactly the two routes of the agent protocol (README, agent/README.md)', () => {
    assert.match(String(doc.openapi), /^3\.1\.\d+$/);
    const info = obj(doc.info, 'info');
    assert.equal(typeof info.title, 'string');
    assert.equal(typeof info.version, 'string');
    assert.deepEqual(Object.keys(obj(doc.paths, 'paths')).sort(), [POOL, STATS]);
    assert.equal(STATS, STATS_PATH);
    assert.equal(POOL.replace('{name}', ':name'), POOL_PATH);
    assert.deepEqual(Object.keys(obj(obj(doc.paths, 'paths')[STATS], STATS)), ['get']);
    assert.deepEqual(Object.keys(obj(obj(doc.paths, 'paths')[POOL], POOL)), ['put']);

    const contract: [string, string, number[]][] = [
      [STATS, 'get', [200, 401]],
      [POOL, 'put', [200, 400, 401, 404]],
    ];
    for (const [path, method, statuses] of contract) {
      const op = operation(path, method);
      assert.equal(typeof op.operationId, 'string');
      for (const status of statuses) {
        const answer = response(path, method, status);
        assert.equal(typeof answer.description, 'string');
        assert.ok(obj(jsonContent(answer, `${path} ${status}`).schema, 'schema'));
      }
      for (const status of Object.keys(obj(op.responses, 'responses')).filter((s) => Number(s) >= 400)) {
        assert.deepEqual(jsonContent(response(path, method, Number(status)), status).schema, {
          $ref: '#/components/schemas/Error',
        });
      }
    }
    const parameters = operation(POOL, 'put').parameters as JsonObject[];
    assert.deepEqual(
      parameters.map((p) => [p.name, p.in, p.required]),
      [['name', 'path', true]],
    );
    assert.equal(obj(operation(POOL, 'put').requestBody, 'requestBody').required, true);
  });

  test('declares the bearer scheme, optional (a token is needed only when configured)', () => {
    const schemes = obj(obj(doc.components, 'components').securitySchemes, 'securitySchemes');
    assert.deepEqual(
      Object.values(schemes).map((s) => [obj(s, 'scheme').type, obj(s, 'scheme').scheme]),
      [['http', 'bearer']],
    );
    assert.deepEqual(doc.security, [{ [Object.keys(schemes)[0] as string]: [] }, {}]);
  });

  test('every $ref resolves and every schema compiles as JSON Schema 2020-12', () => {
    const compile = schemaCompiler();
    const refs = [...walk(doc, '$ref')];
    assert.ok(refs.length >= 10);
    for (const [ref, where] of refs) {
      assert.match(String(ref), /^#\/components\/schemas\/\w+$/, where);
      assert.ok(compile({ $ref: ref }), `${where}: ${String(ref)} does not resolve`);
    }
    for (const [schema, where] of walk(doc, 'schema'))
      assert.equal(typeof compile(schema), 'function', where);
  });

  test('every example validates against its schema', () => {
    const compile = schemaCompiler();
    let checked = 0;
    for (const [holder, where] of walk(doc, 'application/json')) {
      const media = obj(holder, where);
      const valid = compile(obj(media.schema, `${where}/schema`));
      for (const [name, example] of Object.entries(obj(media.examples ?? {}, `${where}/examples`))) {
        assert.ok(
          valid(obj(example, name).value),
          `${where} example ${name}: ${JSON.stringify(valid.errors)}`,
        );
        checked++;
      }
    }
    const parameter = (operation(POOL, 'put').parameters as JsonObject[])[0] as JsonObject;
    assert.ok(compile(obj(parameter.schema, 'name schema'))(parameter.example));
    assert.ok(checked >= 10, `only ${checked} examples`);
  });

  test('the ResizeBody schema accepts exactly what the agent accepts', () => {
    const valid = schemaCompiler()({ $ref: '#/components/schemas/ResizeBody' });
    const text = (min: number, max: number) => fc.string({ unit: 'binary', minLength: min, maxLength: max });
    const value = fc.oneof(
      fc.record(
        {
          capacity: fc.oneof(fc.integer({ min: -2 }), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 1)),
          decisionId: fc.oneof(text(0, 2), text(254, 258), fc.integer()),
          reason: fc.oneof(text(0, 3), text(4094, 4098), fc.boolean()),
          other: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(value, (candidate) => {
        const parsed = JSON.parse(JSON.stringify(candidate) ?? 'null') as unknown;
        assert.equal(validateResizeBody(parsed).ok, valid(parsed), JSON.stringify(valid.errors));
      }),
      { numRuns: 500 },
    );
  });
});

describe('answers of both front ends validate against the document', () => {
  interface Sample {
    readonly path: string;
    readonly method: string;
    readonly status: number;
    readonly headers: Headers;
    readonly body: unknown;
  }

  async function samples(url: string, token: string): Promise<Sample[]> {
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const requests: [string, string, RequestInit][] = [
      [STATS, 'get', { headers: auth }],
      [STATS, 'get', {}],
      [STATS, 'get', { method: 'DELETE', headers: auth }],
      [
        POOL,
        'put',
        { method: 'PUT', headers: json, body: '{"capacity": 3, "decisionId": "d", "reason": "r"}' },
      ],
      [POOL, 'put', { method: 'PUT', headers: json, body: '{"capacity": 2, "decisionId": "d"}' }],
      [POOL, 'put', { method: 'PUT', headers: json, body: '{"capacity": -2}' }],
      [
        POOL,
        'put',
        { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"capacity": 1}' },
      ],
      [POOL, 'put', { method: 'GET', headers: auth }],
    ];
    const result: Sample[] = [];
    for (const [path, method, init] of requests) {
      const response = await fetch(`${url}${path.replace('{name}', 'buffers')}`, init);
      result.push({
        path,
        method,
        status: response.status,
        headers: response.headers,
        body: await response.json(),
      });
    }
    const unknown = await fetch(`${url}/poolpilot/v1/pools/nope`, {
      method: 'PUT',
      headers: json,
      body: '{"capacity": 1}',
    });
    result.push({
      path: POOL,
      method: 'put',
      status: 404,
      headers: unknown.headers,
      body: await unknown.json(),
    });
    return result;
  }

  function check(all: Sample[]): void {
    const compile = schemaCompiler();
    assert.deepEqual(all.map((s) => s.status).sort(), [200, 200, 200, 400, 401, 404, 405, 405, 401].sort());
    for (const sample of all) {
      const documented = response(sample.path, sample.method, sample.status);
      const valid = compile(obj(jsonContent(documented, String(sample.status)).schema, 'schema'));
      assert.ok(
        valid(sample.body),
        `${sample.status} ${JSON.stringify(sample.body)}: ${JSON.stringify(valid.errors)}`,
      );
      for (const header of Object.keys(obj(documented.headers ?? {}, 'headers'))) {
        if (header === 'poolpilot-replayed') continue; // only on a replay
        assert.ok(sample.headers.has(header), `${sample.status} lacks ${header}`);
      }
    }
  }

  const agentOptions = (load: LoadMonitor): PoolpilotAgentOptions => ({
    service: 'nas',
    pools: [new ResizablePool({ name: 'buffers', capacity: 4, create: () => ({}) })],
    token: 'tok',
    load,
    memory: () => ({ workingSetBytes: 1, limitBytes: 2 }),
  });

  test('the fastify plugin', async (t) => {
    const load = new LoadMonitor({ workers: () => ({ busy: 1, total: 4 }) });
    const app = Fastify();
    t.after(async () => {
      await app.close();
      load.stop();
    });
    await app.register(poolpilotAgent, agentOptions(load));
    await app.listen({ port: 0, host: '127.0.0.1' });
    check(await samples(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, 'tok'));
  });

  test('the node:http handler', async (t) => {
    const load = new LoadMonitor();
    const handler = createAgentHandler(agentOptions(load));
    const server = createServer((req, res) => void handler(req, res));
    t.after(() => {
      server.closeAllConnections();
      server.close();
      load.stop();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    check(await samples(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'tok'));
  });
});
