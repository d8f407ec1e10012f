/**
 * How the API reads its input: bodies are JSON only and validated strictly (no type coercion,
 * no key removed), while querystrings, params and headers, which arrive as text, are coerced
 * (`?limit=5` is the integer 5).
 */
import { Ajv } from 'ajv';
import type { Options as AjvOptions } from 'ajv';
import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';

const common: AjvOptions = {
  useDefaults: true,
  removeAdditional: false,
  allowUnionTypes: true,
  // One error is enough to answer, and stops a huge body from costing a long error list.
  allErrors: false,
};

/**
 * A fastify validator compiler with two Ajv instances: one without coercion for `body`, one with
 * `coerceTypes: 'array'` for everything that arrives as text. Unlike fastify's default, no
 * `format` keywords are known; none of the API's input schemas use one.
 */
export function apiValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const bodies = new Ajv({ ...common, coerceTypes: false });
  const texts = new Ajv({ ...common, coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : texts).compile(schema as object);
}

/**
 * Bodies are JSON or nothing: `text/plain` (which fastify parses by default) is removed, so any
 * other content type is a 415. An empty JSON body reads as no body, so `POST /api/v1/pause` with
 * `Content-Type: application/json` and nothing else works, while a route that needs a body still
 * answers its missing body with a 400 from its schema.
 */
export function installJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
