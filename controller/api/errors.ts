import type { FastifyError, FastifyInstance } from 'fastify';

/** The body of every error answer: a stable code and a sentence. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * Answers every failure as JSON `{error, message}`: a 4xx for anything the client sent
 * wrong (validation, bad JSON, too large), a 500 only for our own faults.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (err.validation) {
      return reply.code(400).send({ error: 'bad_request', message: err.message });
    }
    if (status < 500) {
      return reply.code(status).send({ error: codeFor(status, err.code), message: err.message });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` });
  });
}

function codeFor(status: number, code: string | undefined): string {
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 404) return 'not_found';
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'too_many_requests';
  return code ? code.toLowerCase() : 'bad_request';
}
