import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { within } from '../../auth/access-control.js';
import { OverloadedError } from '../../buffer/buffer.js';
import { decodeBody, looksGzipped } from '../../ingest/body.js';
import type { IngestContext } from '../../server/context.js';
import { bulkReply, parseBulk } from './bulk.js';
import { EsError, toEsError } from './errors.js';
import { catHealth, clusterHealth, refresh, refreshReply, versionInfo } from './info.js';
import { esSearch } from './search.js';

type Params = Record<string, string | undefined>;

/**
 * The Elasticsearch-compatible API under `/es`, as its own Fastify context: every reply (errors
 * and unknown routes included) carries `x-elastic-product: Elasticsearch`, which the official
 * clients require, and errors come in Elasticsearch's shape.
 */
export function registerElasticsearchRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.register(
    async (es) => {
      es.addHook('onRequest', async (_req, reply) => {
        reply.header('x-elastic-product', 'Elasticsearch');
      });
      es.setErrorHandler((thrown, req, reply) => {
        const err = thrown instanceof Error ? thrown : new Error(String(thrown));
        const e = toEsError(err);
        if (e.status >= 500 && !(err instanceof OverloadedError) && e.type === 'exception')
          req.log.error(err);
        if (err instanceof OverloadedError) ctx.metrics.refusals.inc({ status: String(err.status) });
        if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
        return reply.code(e.status).send(e.toJSON());
      });
      const notFound = (req: FastifyRequest, reply: FastifyReply) => {
        const e = new EsError(
          404,
          'resource_not_found_exception',
          `no handler found for uri [${req.url.split('?')[0]}] and method [${req.method}] (Sawmill implements _bulk, _search, _refresh and the health probes)`,
        );
        return reply.code(404).send(e.toJSON());
      };
      es.setNotFoundHandler(notFound);
      // The web UI serves GET /* at the root; without this, unknown GETs under /es would get the
      // UI's reply instead of an Elasticsearch-shaped 404.
      es.all('/*', async (req, reply) => notFound(req, reply));

      // With the /es prefix this answers both `/es` and `/es/` (and HEAD for the ping).
      es.get('/', async () => versionInfo());
      es.get('/_cluster/health', async () => clusterHealth(ctx));
      es.get('/_cluster/health/:index', async () => clusterHealth(ctx));
      es.get('/_cat/health', async (req, reply) => {
        const out = catHealth(ctx, queryParams(req));
        if (out.json !== undefined) return reply.send(out.json);
        return reply.type('text/plain; charset=UTF-8').send(out.text);
      });

      const bulk = async (req: FastifyRequest, reply: FastifyReply) => {
        const start = performance.now();
        const raw = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
        ctx.metrics.bytesIngested.inc({ protocol: 'elasticsearch' }, raw.length);
        if (raw.length === 0) throw new EsError(400, 'parse_exception', 'request body is required');
        const encoding = req.headers['content-encoding'] ?? (looksGzipped(raw) ? 'gzip' : undefined);
        const body = await decodeBody(raw, encoding, ctx.config.limits);
        const { index } = req.params as Params;
        const parsed = parseBulk(body.toString('utf8'), index);
        const outcome =
          parsed.candidates.length > 0
            ? await ctx.pipeline.ingest(parsed.candidates, 'elasticsearch')
            : { accepted: 0, errors: [], ids: [] };
        const refreshParam = queryParams(req).refresh;
        if (refreshParam === 'true' || refreshParam === 'wait_for' || refreshParam === '') await refresh(ctx);
        // Per-item results in a 200, as Elasticsearch does, even when every item failed: shippers
        // drop refused items and carry on, while a 400 for the request makes some resend forever.
        return reply
          .code(200)
          .type('application/json; charset=utf-8')
          .send(bulkReply(parsed, outcome, performance.now() - start));
      };
      for (const url of ['/_bulk', '/:index/_bulk', '/:index/:type/_bulk']) {
        es.post(url, bulk);
        es.put(url, bulk);
      }

      const search = async (req: FastifyRequest) => {
        const raw =
          req.body instanceof Buffer
            ? req.body
            : req.method === 'GET'
              ? await readGetBody(req, ctx.config.limits.maxBodyBytes)
              : Buffer.alloc(0);
        const encoding = req.headers['content-encoding'] ?? (looksGzipped(raw) ? 'gzip' : undefined);
        const text =
          raw.length === 0 ? '' : (await decodeBody(raw, encoding, ctx.config.limits)).toString('utf8');
        let body: unknown = {};
        if (text.trim() !== '') {
          try {
            body = JSON.parse(text);
          } catch (err) {
            throw new EsError(
              400,
              'parse_exception',
              `the search body is not JSON: ${(err as Error).message}`,
            );
          }
        }
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw new EsError(400, 'parse_exception', 'the search body must be a JSON object');
        }
        const { index } = req.params as Params;
        return esSearch(ctx, {
          index,
          body: body as Record<string, unknown>,
          params: queryParams(req),
          within: within(req, { kind: 'all' }),
        });
      };
      for (const url of ['/_search', '/:index/_search']) {
        es.get(url, search);
        es.post(url, search);
      }

      const doRefresh = async () => refreshReply(await refresh(ctx));
      for (const url of ['/_refresh', '/:index/_refresh']) {
        es.get(url, doRefresh);
        es.post(url, doRefresh);
      }
    },
    { prefix: '/es' },
  );
}

/**
 * Fastify does not read bodies of GET requests, but `curl -XGET .../_search -d '{...}'` and some
 * ES clients send the query that way: read it here, within the body limit.
 */
async function readGetBody(req: FastifyRequest, limit: number): Promise<Buffer> {
  const { raw } = req;
  if (raw.headers['content-length'] === undefined && raw.headers['transfer-encoding'] === undefined) {
    return Buffer.alloc(0);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new EsError(413, 'content_too_long_exception', `request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Query parameters as single strings: a repeated parameter counts with its last value. */
function queryParams(req: FastifyRequest): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(req.query as Record<string, string | string[] | undefined>)) {
    out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  }
  return out;
}
