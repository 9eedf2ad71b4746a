import type { FastifyInstance } from 'fastify';
import { decodeBody } from '../../ingest/body.js';
import type { IngestContext } from '../../server/context.js';
import { batchReply } from '../../server/routes/ingest.js';
import { decodeJsonPush, decodeProtoPush } from './decode.js';
import { lokiToCandidates } from './map.js';
import { unsnappy } from './snappy.js';

/**
 * Loki's push API, `POST /loki/api/v1/push` (Promtail, Alloy, Fluent Bit's loki output, Vector,
 * pino-loki, winston-loki): JSON, or protobuf in snappy block format. As Loki does, a body whose
 * Content-Type is not JSON is read as protobuf. Errors use Sawmill's JSON error shape (Loki
 * clients log the body text of a failed push).
 */
export function registerLokiRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.post('/loki/api/v1/push', async (req, reply) => {
    const raw = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
    ctx.metrics.bytesIngested.inc({ protocol: 'loki' }, raw.length);
    const body = await decodeBody(raw, req.headers['content-encoding'], ctx.config.limits);
    const json = /json/i.test(req.headers['content-type'] ?? '');
    // Decoded streams go out of scope here, before the wait for the disk (see the OTLP route).
    const candidates = lokiToCandidates(
      json ? decodeJsonPush(body.toString('utf8')) : decodeProtoPush(await unsnappy(body, ctx.config.limits)),
    );
    // Loki answers 204 to a push with nothing in it, as to any successful push.
    if (candidates.length === 0) return reply.code(204).send();
    const outcome = await ctx.pipeline.ingest(candidates, 'loki');
    if (outcome.errors.length === 0) return reply.code(204).send();
    // Some entries refused: still a success (the valid ones are stored; a 4xx would make some
    // clients drop or resend the whole batch), with the refusals listed by entry index.
    return reply.code(200).send(batchReply(outcome));
  });
}
