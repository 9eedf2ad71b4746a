import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeBody, looksGzipped } from '../../ingest/body.js';
import { parseJsonBody } from '../../ingest/json/parse.js';
import type { IngestOutcome } from '../../ingest/pipeline.js';
import type { IngestContext } from '../context.js';
import { ApiError } from '../errors.js';

/** At most this many per-record errors are listed in one reply (the counts are always exact). */
const MAX_LISTED_ERRORS = 1000;

/** `POST /` and `POST /api/v1/logs`: one JSON record, a JSON array, or NDJSON; gzip welcome. */
export function registerIngestRoutes(app: FastifyInstance, ctx: IngestContext): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
    ctx.metrics.bytesIngested.inc({ protocol: 'json' }, raw.length);
    const encoding = req.headers['content-encoding'] ?? (looksGzipped(raw) ? 'gzip' : undefined);
    const body = await decodeBody(raw, encoding, ctx.config.limits);
    const candidates = parseJsonBody(body.toString('utf8'), req.headers['content-type']);
    const outcome = await ctx.pipeline.ingest(candidates, 'json');
    return reply.code(200).send(batchReply(outcome));
  };
  app.post('/', handler);
  app.post('/api/v1/logs', handler);
}

/** Partial success is a 200 listing what was refused; nothing accepted is a 400. */
export function batchReply(outcome: IngestOutcome): {
  accepted: number;
  rejected: number;
  errors: IngestOutcome['errors'];
  errorsTruncated?: boolean;
} {
  const listed = outcome.errors.slice(0, MAX_LISTED_ERRORS);
  if (outcome.accepted === 0) {
    throw new ApiError(
      'no_valid_records',
      `none of the ${outcome.errors.length} records was accepted`,
      listed,
    );
  }
  return {
    accepted: outcome.accepted,
    rejected: outcome.errors.length,
    errors: listed,
    ...(listed.length < outcome.errors.length ? { errorsTruncated: true } : {}),
  };
}
