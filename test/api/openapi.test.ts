/**
 * `GET /docs/json`, read from a real listening server: an OpenAPI 3.1 document that lists every
 * route of README "HTTP API" with the schemas the server validates and answers with.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ApiHarness } from './harness.js';
import { startApi } from './harness.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const obj = (value: Json | undefined, where: string): JsonObject => {
  assert.ok(
    typeof value === 'object' && value !== null && !Array.isArray(value),
    `${where} must be an object`,
  );
  return value;
};

const OVERRIDE = '/api/v1/services/{service}/pools/{pool}/override';

/** README "HTTP API": each route, and the statuses its answer is documented for. */
const CONTRACT: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['/healthz', 'get', ['200']],
  ['/readyz', 'get', ['200', '503']],
  ['/metrics', 'get', ['200']],
  ['/api/v1/status', 'get', ['200']],
  ['/api/v1/decisions', 'get', ['200']],
  ['/api/v1/events', 'get', ['200']],
  ['/api/v1/pause', 'post', ['200']],
  ['/api/v1/resume', 'post', ['200']],
  [OVERRIDE, 'put', ['200']],
  [OVERRIDE, 'delete', ['204']],
];

/** Every value of `key` anywhere in `value`, with where it is. */
function* walk(value: Json, key: string, where = '#'): Generator<[Json, string]> {
  if (typeof value !== 'object' || value === null) return;
  for (const [k, v] of Object.entries(value)) {
    if (k === key) yield [v, `${where}/${k}`];
    yield* walk(v, key, `${where}/${k}`);
  }
}

describe('GET /docs/json', () => {
  let h: ApiHarness;
  let doc: JsonObject;
  let paths: JsonObject;
  const operation = (path: string, method: string): JsonObject =>
    obj(obj(paths[path], path)[method], `${method} ${path}`);
  const contentSchema = (holder: JsonObject, type: string, where: string): JsonObject =>
    obj(obj(obj(holder.content, `${where} content`)[type], `${where} ${type}`).schema, `${where} schema`);

  before(async () => {
    h = await startApi();
    const res = await fetch(`${h.base}/docs/json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    doc = obj((await res.json()) as Json, 'document');
    paths = obj(doc.paths, 'paths');
  });
  after(() => h.close());

  it('is an OpenAPI 3.1 document', () => {
    assert.match(String(doc.openapi), /^3\.1\.\d+$/);
    const info = obj(doc.info, 'info');
    assert.equal(typeof info.title, 'string');
    assert.equal(typeof info.version, 'string');
    for (const [path, item] of Object.entries(paths)) {
      assert.match(path, /^\//);
      for (const [method, op] of Object.entries(obj(item, path))) {
        assert.ok(['get', 'put', 'post', 'delete', 'patch'].includes(method), `${path}: ${method}`);
        const responses = obj(obj(op, `${method} ${path}`).responses, `${method} ${path} responses`);
        for (const [status, answer] of Object.entries(responses)) {
          assert.match(status, /^([1-5]\d\d|[1-5]XX|default)$/, `${method} ${path}`);
          assert.equal(typeof obj(answer, status).description, 'string', `${method} ${path} ${status}`);
        }
      }
    }
  });

  it('lists every route of README "HTTP API" with a schema for each answer and a JSON error', () => {
    for (const [path, method, statuses] of CONTRACT) {
      const responses = obj(operation(path, method).responses, `${method} ${path} responses`);
      for (const status of statuses) {
        const answer = obj(responses[status], `${method} ${path} ${status}`);
        if (status === '204') {
          assert.equal(answer.content, undefined, `${method} ${path} 204 has no body`);
          continue;
        }
        const type = path === '/api/v1/events' ? 'text/event-stream' : 'application/json';
        assert.ok(
          contentSchema(answer, type, `${method} ${path} ${status}`).type,
          `${method} ${path} ${status}`,
        );
      }
      const error = contentSchema(obj(responses['4XX'], `${method} ${path} 4XX`), 'application/json', path);
      assert.deepEqual(error.required, ['error', 'message'], `${method} ${path}: the error shape`);
    }
    assert.ok(obj(obj(paths['/'], '/').get, 'GET /').responses, 'the dashboard page is listed');
  });

  it('documents each request: bodies, path, query and header parameters', () => {
    const params = (path: string, method: string): string[] =>
      ((operation(path, method).parameters ?? []) as JsonObject[]).map(
        (p) => `${p.in} ${p.name} ${p.required}`,
      );

    const put = obj(operation(OVERRIDE, 'put').requestBody, 'PUT override body');
    assert.equal(put.required, true);
    const body = contentSchema(put, 'application/json', 'PUT override');
    assert.deepEqual(body.required, ['capacity', 'ttlSeconds']);
    assert.deepEqual(Object.keys(obj(body.properties, 'properties')).sort(), ['capacity', 'ttlSeconds']);
    assert.deepEqual(params(OVERRIDE, 'put'), ['path service true', 'path pool true']);
    assert.deepEqual(params(OVERRIDE, 'delete'), ['path service true', 'path pool true']);

    for (const path of ['/api/v1/pause', '/api/v1/resume']) {
      const optional = obj(operation(path, 'post').requestBody, `POST ${path} body`);
      assert.equal(optional.required, false, `${path} takes no body`);
      assert.equal(contentSchema(optional, 'application/json', path).maxProperties, 0);
    }
    assert.deepEqual(params('/api/v1/decisions', 'get'), ['query limit false', 'query shadow false']);
    assert.deepEqual(params('/api/v1/events', 'get'), [
      'query lastEventId false',
      'header last-event-id false',
    ]);
  });

  it('asks the bearer token of the mutating routes only, as optional', () => {
    const schemes = obj(obj(doc.components, 'components').securitySchemes, 'securitySchemes');
    const [name] = Object.keys(schemes);
    const scheme = obj(schemes[name ?? ''], 'scheme');
    assert.deepEqual([Object.keys(schemes).length, scheme.type, scheme.scheme], [1, 'http', 'bearer']);
    for (const [path, method] of CONTRACT) {
      const security = operation(path, method).security;
      if (method === 'get') assert.equal(security, undefined, `${method} ${path}`);
      else assert.deepEqual(security, [{ [name ?? '']: [] }, {}], `${method} ${path}`);
    }
  });

  it('holds only schemas that compile as JSON Schema 2020-12, and $refs that resolve', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
    for (const keyword of Object.keys(doc)) ajv.addKeyword(keyword);
    const id = 'urn:poolpilot:controller-openapi';
    ajv.addSchema({ ...doc, $id: id });
    for (const [ref, where] of walk(doc, '$ref')) {
      assert.ok(ajv.getSchema(`${id}${String(ref)}`), `${where}: ${String(ref)} does not resolve`);
    }
    let count = 0;
    for (const [schema, where] of walk(doc, 'schema')) {
      assert.equal(typeof ajv.compile(obj(schema, where)), 'function', where);
      count++;
    }
    assert.ok(count >= 20, `${count} schemas`);
  });

  it('is itself listed, so a client can find it', () => {
    assert.ok(operation('/docs/json', 'get'));
  });
});
