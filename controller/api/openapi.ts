/**
 * The controller API's OpenAPI document, made by @fastify/swagger from the schemas every route
 * already declares (so it cannot drift from what the server validates), served at `/docs/json`.
 * @fastify/swagger must be registered before the routes it is to see.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifyPluginAsync } from 'fastify';
import { errorSchema } from './errors.js';

export const OPENAPI_PATH = '/docs/json';

/** The name of the bearer scheme in `components.securitySchemes`. */
export const BEARER_SCHEME = 'apiToken';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The @fastify/swagger options: an OpenAPI 3.1 document (the schemas use JSON Schema type
 * arrays such as `["number", "null"]`), HEAD routes left out, and every mutating route marked
 * with the optional bearer token (needed when `POOLPILOT_API_TOKEN` is set; on loopback without
 * one, none is asked for).
 */
export const openApiOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'poolpilot controller API',
      version: '1',
      description:
        'The controller HTTP API of README "HTTP API": health, metrics, status, decisions, the event ' +
        'stream, pause and resume, and per-pool overrides. Every error is JSON {error, message}.',
    },
    components: {
      securitySchemes: {
        [BEARER_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: 'POOLPILOT_API_TOKEN; asked of mutating routes only',
        },
      },
    },
  },
  exposeHeadRoutes: false,
  transform: ({ schema, url, route }) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => MUTATING.has(m))) return { schema, url };
    return { schema: { ...schema, security: [{ [BEARER_SCHEME]: [] }, {}] }, url };
  },
  transformObject: (documentObject) => {
    const doc =
      'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
    optionalNullBodies(doc.paths as Record<string, Record<string, Operation>> | undefined);
    return doc;
  },
};

interface Operation {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { type?: unknown } }> };
}

/**
 * @fastify/swagger marks every request body required; one whose schema accepts `null` (pause,
 * resume, delete: no body, `null` or `{}`) may be left out, and is documented so.
 */
function optionalNullBodies(paths: Record<string, Record<string, Operation>> | undefined): void {
  for (const item of Object.values(paths ?? {})) {
    for (const operation of Object.values(item)) {
      const body = operation.requestBody;
      const type = body?.content?.['application/json']?.schema?.type;
      if (body && Array.isArray(type) && type.includes('null')) body.required = false;
    }
  }
}

/** `GET /docs/json`: the OpenAPI document of every route registered after @fastify/swagger. */
export const openApiRoute: FastifyPluginAsync = async (app) => {
  const schema = {
    summary: 'This OpenAPI document',
    response: {
      200: { type: 'object', additionalProperties: true, description: 'an OpenAPI 3.1 document' },
      '4xx': errorSchema,
    },
  } as const;
  app.get(OPENAPI_PATH, { schema }, async () => app.swagger());
};
