import type { FastifyInstance } from 'fastify';
import { decodeBody, looksGzipped } from '../../ingest/body.js';
import { parseJsonBody } from '../../ingest/json/parse.js';
import type { IngestContext } from '../../server/context.js';
import { batchReply } from '../../server/routes/ingest.js';
import { gelfRecord } from './parse.js';

/**
 * `POST /gelf`, Graylog's GELF HTTP input: one GELF message per request (also, as an extension,
 * a JSON array or newline-separated messages), gzip/deflate by Content-Encoding or detected from
 * the magic bytes. `202 Accepted` (what Graylog answers) only once every accepted record is
 * durable, with the same body as /api/v1/logs; 400 when no message is valid; 429/503 on overload.
 */
export function registerGelfRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.post('/gelf', async (req, reply) => {
    const raw = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
    ctx.metrics.bytesIngested.inc({ protocol: 'gelf' }, raw.length);
    const encoding =
      req.headers['content-encoding'] ??
      (looksGzipped(raw) ? 'gzip' : looksZlib(raw) ? 'deflate' : undefined);
    const body = await decodeBody(raw, encoding, ctx.config.limits);
    const now = new Date();
    const candidates = parseJsonBody(body.toString('utf8'), req.headers['content-type']).map((c) =>
      'value' in c ? { ...gelfRecord(c.value, now), line: c.line } : c,
    );
    const outcome = await ctx.pipeline.ingest(candidates, 'gelf');
    return reply.code(202).send(batchReply(outcome));
  });
}

/** A zlib stream (GELF senders compress HTTP bodies like UDP ones, often without a header). */
function looksZlib(raw: Buffer): boolean {
  return raw.length > 2 && raw[0] === 0x78 && ((raw[0] << 8) | raw[1]!) % 31 === 0;
}
