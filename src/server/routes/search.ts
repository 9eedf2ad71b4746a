import type { FastifyInstance, FastifyRequest } from 'fastify';
import { within } from '../../auth/access-control.js';
import { parseDurationMs } from '../../config.js';
import { microsToIso } from '../../model/record.js';
import type { QueryNode } from '../../query/ast.js';
import { autoInterval } from '../../store/interval.js';
import type { QueryContext } from '../context.js';
import { ApiError, toApiError } from '../errors.js';
import {
  cursorParam,
  encodeCursor,
  intParam,
  queryParam,
  type RawParams,
  rangeParams,
  str,
} from '../params.js';

/** A read's query and range, narrowed to what the caller's role may see (docs/access.md). */
export function scoped<T extends { query: QueryNode }>(req: FastifyRequest, range: T): T {
  return { ...range, query: within(req, range.query) };
}

/** The read API: search, histogram, fields and context (docs/api.md). */
export function registerSearchRoutes(app: FastifyInstance, ctx: QueryContext): void {
  const timed = <T>(endpoint: string, fn: (params: RawParams, req: FastifyRequest) => Promise<T>) => {
    return async (req: FastifyRequest) => {
      const start = performance.now();
      const result = await fn(req.query as RawParams, req);
      const tookMs = Math.round((performance.now() - start) * 10) / 10;
      ctx.metrics.queryDuration.observe({ endpoint }, tookMs / 1000);
      return { ...result, tookMs };
    };
  };

  app.get(
    '/api/v1/search',
    timed('search', async (params, req) => {
      const range = scoped(req, rangeParams(params));
      const result = await ctx.store.search({
        ...range,
        limit: intParam(params, 'limit', 100, 1, 10_000),
        cursor: cursorParam(params),
        // The exact total is a full count of the matches; `total=false` skips it (paging, tail-like UIs).
        withTotal: str(params, 'total') !== 'false',
      });
      return { hits: result.hits, total: result.total, next: result.next ? encodeCursor(result.next) : null };
    }),
  );

  // The query bar's live check. A problem is the answer, not a failure: 200 either way, so a
  // browser logs no failed request for every half-typed query. The parser decides, then the store
  // (a regex only RE2 refuses), over an empty window.
  app.get('/api/v1/validate', async (req) => {
    const params = req.query as RawParams;
    try {
      const query = queryParam(params);
      await ctx.store.search({ query, from: 0, to: 0, limit: 1, withTotal: false });
      return { valid: true };
    } catch (err) {
      const e = toApiError(err as Error);
      if (e.code !== 'query_syntax') throw e;
      return { valid: false, error: { code: e.code, message: e.message, details: e.details } };
    }
  });

  app.get(
    '/api/v1/histogram',
    timed('histogram', async (params, req) => {
      const range = scoped(req, rangeParams(params));
      let { from, to } = range;
      if (from === undefined || to === undefined) {
        const bounds = await ctx.store.timeBounds(range);
        from ??= bounds?.from ?? Date.now() * 1000;
        to ??= Math.max(bounds?.to ?? from, from);
      }
      const text = str(params, 'interval');
      let interval: number;
      if (text === undefined || text === '' || text === 'auto') interval = autoInterval(from, to);
      else {
        try {
          interval = parseDurationMs(text) * 1000;
        } catch (err) {
          throw new ApiError('invalid_parameter', `"interval": ${(err as Error).message}`);
        }
        if (interval < 1000) throw new ApiError('invalid_parameter', '"interval" must be at least 1s');
      }
      const h = {
        ...range,
        from,
        to,
        intervalMicros: interval,
        fromIsOldestMatch: range.from === undefined,
        toIsNewestMatch: range.to === undefined,
      };
      // A store reading an end as open may count records ingested since the bounds were found
      // (histogram params): their buckets are left out.
      const histogram = async () =>
        (await ctx.store.histogram(h)).filter((b) => b.ts <= to && b.ts + interval > from);
      const buckets = ctx.cache ? await ctx.cache.get('histogram', h, h, histogram) : await histogram();
      return {
        from: microsToIso(from),
        to: microsToIso(to),
        intervalMs: interval / 1000,
        buckets: buckets.map((b) => ({ ts: microsToIso(b.ts), total: b.total, counts: b.counts })),
      };
    }),
  );

  app.get(
    '/api/v1/fields',
    timed('fields', async (params, req) => {
      const sample = intParam(params, 'sample', 500, 1, 10_000);
      const f = { ...scoped(req, rangeParams(params)), sample, top: intParam(params, 'top', 5, 1, 100) };
      const summary = () => ctx.store.fields(f);
      const fields = ctx.cache ? await ctx.cache.get('fields', f, f, summary) : await summary();
      return { fields, sample };
    }),
  );

  app.get(
    '/api/v1/context/:id',
    timed('context', async (params, req) => {
      const { id } = req.params as { id: string };
      const result = await ctx.store.context(
        id,
        intParam(params, 'before', 10, 0, 1000),
        intParam(params, 'after', 10, 0, 1000),
        within(req, { kind: 'all' }),
      );
      if (!result) throw new ApiError('not_found', `no record with id ${JSON.stringify(id)}`);
      return result;
    }),
  );
}
