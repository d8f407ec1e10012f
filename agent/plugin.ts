import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AgentProtocol, BODY_LIMIT_BYTES, errorAnswer, POOL_PATH, STATS_PATH } from './protocol.js';
import type { AgentAnswer, PoolpilotAgentOptions } from './protocol.js';

export { POOL_PATH, STATS_PATH } from './protocol.js';
export type {
  MemoryStats,
  PoolpilotAgentOptions,
  ResizeAnswer,
  ResizeBody,
  ResizeEvent,
} from './protocol.js';

/** Methods fastify routes by default; those a route does not serve are answered 405. */
const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;
type Method = (typeof METHODS)[number];

function send(request: FastifyRequest, reply: FastifyReply, answer: AgentAnswer): FastifyReply {
  if (answer.failure !== undefined) {
    request.log.error({ err: answer.failure.error }, `poolpilot agent: ${answer.failure.message}`);
  }
  return reply
    .code(answer.status)
    .headers(answer.headers)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(answer.body));
}

/**
 * The poolpilot agent as a fastify plugin: serves `GET /poolpilot/v1/stats` and
 * `PUT /poolpilot/v1/pools/:name` as the agent protocol (README, agent/README.md) fixes them. Register it without a prefix.
 * It reads the resize body as text (at most 16 KiB) and hands it to the same `AgentProtocol` as
 * `createAgentHandler`, so the two front ends answer alike whatever the host application
 * configured: every error as `{"error", "message"}`, 400 bad body, 401 bad or missing token,
 * 404 unknown pool, 405 (with `Allow`) for another method. A `decisionId` seen before on the same
 * pool gets the first answer again, with the header `poolpilot-replayed: true`, and resizes nothing.
 */
export const poolpilotAgent: FastifyPluginAsync<PoolpilotAgentOptions> = async (app, options) => {
  const protocol = new AgentProtocol(options);

  // Encapsulated: the host's own parsers and routes are untouched. The protocol judges the body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (_request, body, done) => {
      done(null, body);
    },
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(request, reply, protocol.tooLarge());
    if (status >= 400 && status < 500)
      return send(request, reply, errorAnswer(400, 'bad_request', error.message));
    return send(request, reply, {
      ...errorAnswer(500, 'internal', 'internal error'),
      failure: { message: 'request failed', error },
    });
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const denied = protocol.authorize(request.headers.authorization);
    return denied === undefined ? undefined : send(request, reply, denied);
  });

  app.get(STATS_PATH, async (request, reply) => send(request, reply, protocol.stats()));

  app.put<{ Params: { name: string }; Body: string | undefined }>(
    POOL_PATH,
    { bodyLimit: BODY_LIMIT_BYTES },
    async (request, reply) =>
      send(
        request,
        reply,
        protocol.resize(request.params.name, request.headers['content-type'], request.body),
      ),
  );

  // Other methods get 405 before their body is read (the token is still checked first).
  for (const [url, allow] of [
    [STATS_PATH, ['GET', 'HEAD']],
    [POOL_PATH, ['PUT']],
  ] as const) {
    const others = METHODS.filter((method: Method) => !(allow as readonly Method[]).includes(method));
    app.route({
      method: others,
      url,
      exposeHeadRoute: false,
      onRequest: async (request, reply) =>
        send(request, reply, protocol.methodNotAllowed(request.method, allow)),
      handler: async () => undefined,
    });
  }
};
