/**
 * Every failure the API answers is JSON `{error, message}`: a 4xx for anything the client sent
 * wrong, whatever layer noticed it (router, body parser, schema, guard, rate limit, socket), and a
 * 5xx only for the controller's own faults.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaValidationError,
  FastifyServerOptions,
} from 'fastify';

/** The body of every error answer: a stable code and a sentence. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

/** The response schema of every error status. */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

/** The `error` code of each client status; any other 4xx is `client_error`. */
const CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'header_fields_too_large',
};

/** The code answered for a client status. */
export function errorCodeFor(status: number): string {
  return CODES[status] ?? 'client_error';
}

/** Echoed request parts are cut to this length, so an error never grows with the garbage sent. */
const MAX_ECHO = 200;

function echo(text: string): string {
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
}

/** Installs the error and not-found handlers on the root instance. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) {
      return reply.code(400).send({ error: 'bad_request', message: echo(err.message) });
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const error = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'invalid_json' : errorCodeFor(status);
      return reply.code(status).send({ error, message: echo(err.message) });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) => {
    // The path only: a query string may carry what a client should not have put in a URL.
    const path = request.url.split('?', 1)[0] ?? '';
    return reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${echo(request.method)} ${echo(path)}` });
  });
}

/**
 * Fastify's `schemaErrorFormatter`: the first error as `body/capacity must be integer`, naming
 * the key an `additionalProperties: false` schema refused.
 */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  if (first === undefined) return new Error(`${dataVar} is not valid`);
  const extra = first.params.additionalProperty;
  const named = typeof extra === 'string' ? ` (${JSON.stringify(echo(extra))})` : '';
  return new Error(`${dataVar}${first.instancePath} ${first.message ?? 'is not valid'}${named}`);
}

/**
 * Fastify's `frameworkErrors`: a URL that cannot be decoded, or a path parameter over
 * `maxParamLength`, answered in the API's error shape instead of fastify's.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (
  err: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
) => {
  const status = err.statusCode === 414 ? 414 : 400;
  // Fastify's message quotes the whole URL, query string included: it is not echoed.
  const message =
    err.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid (a bad percent-encoding?)' : echo(err.message);
  void reply.code(status).send({ error: errorCodeFor(status), message });
};

interface Exchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
}

/** The latest request on each connection, and its answer: see `clientErrorHandler`. */
const lastExchange = new WeakMap<Socket, Exchange>();

/** Lets `clientErrorHandler` tell a request already answered from one still unanswered. */
export function trackExchanges(server: Server): void {
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    lastExchange.set(request.socket, { request, response });
  });
}

/**
 * Fastify's `clientErrorHandler`, for requests Node's HTTP parser refuses before fastify sees
 * them (a malformed request line, oversized headers, a request past its timeout): the same JSON
 * shape, written on the socket. Needs `trackExchanges` on the server.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // An answer is on its way (a stream), or the request in progress was answered already (a 401
  // sent before its slow body ended): a second status line would corrupt the connection, so it
  // is only cut.
  const last = lastExchange.get(socket);
  const answered = last !== undefined && last.response.headersSent;
  if (answered && (!last.request.complete || !last.response.writableEnded)) {
    socket.destroy(err);
    return;
  }
  let status = 400;
  if (err.code === 'HPE_HEADER_OVERFLOW') status = 431;
  else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') status = 408;
  const body = JSON.stringify({
    error: errorCodeFor(status),
    message: status === 400 ? 'the request is not valid HTTP' : (STATUS_CODES[status] ?? 'client error'),
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
