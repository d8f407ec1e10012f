import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { parseSince, readTrace } from '../state/trace-files.js';
import type { ControllerApi } from './controller-api.js';
import { errorSchema } from './errors.js';

/**
 * `GET /api/v1/trace?since=<t or ISO time>`: the recording (`trace.jsonl` and its rotated files)
 * as JSON lines, streamed, from `since` on; open for reads as `/api/v1/decisions` is. 404 when the
 * controller runs without a state directory (nothing is recorded).
 */
export const traceRoute: FastifyPluginAsync<{ controller: ControllerApi }> = async (app, { controller }) => {
  app.get<{ Querystring: { since?: string } }>(
    '/api/v1/trace',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { since: { type: 'string', maxLength: 64 } },
        },
        response: { '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const since = parseSince(req.query.since);
      if (typeof since === 'string') {
        return reply.code(400).send({ error: 'bad_request', message: since });
      }
      const recording = controller.recording?.();
      if (recording === undefined) {
        const message = 'nothing is recorded: the controller runs without POOLPILOT_STATE_DIR';
        return reply.code(404).send({ error: 'not_found', message });
      }
      await recording.flush();
      reply.type('application/x-ndjson; charset=utf-8');
      return reply.send(Readable.from(readTrace(recording.dir, since)));
    },
  );
};
