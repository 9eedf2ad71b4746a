import type { OutputRecord } from '../../model/record.js';
import type { QueryNode } from '../../query/ast.js';
import { parseQuery, QuerySyntaxError } from '../../query/parse.js';
import type { IngestContext } from '../../server/context.js';
import { EsError } from './errors.js';
import { escapeWildcard, mapField, translateQuery } from './query-dsl.js';

/** ES's index.max_result_window, and Sawmill's own page limit: from + size may not exceed it. */
const MAX_WINDOW = 10_000;

/** Body keys that change nothing in the answer Sawmill gives (no scoring, no highlighting). */
const IGNORED_KEYS = new Set([
  '_source',
  'timeout',
  'track_scores',
  'version',
  'seq_no_primary_term',
  'stored_fields',
  'docvalue_fields',
  'fields',
  'highlight',
  'explain',
  'profile',
  'min_score',
  'terminate_after',
]);

export interface SearchRequest {
  /** The `{index}` path part (comma-separated names or patterns), if any. */
  index?: string;
  body: Record<string, unknown>;
  params: Record<string, string | undefined>;
  /** The caller's role filter (docs/access.md), ANDed into the query. */
  within?: QueryNode;
}

/** `GET|POST /es/{index}/_search`: the request, run through the same store as /api/v1/search. */
export async function esSearch(ctx: IngestContext, req: SearchRequest): Promise<unknown> {
  const start = performance.now();
  const { body, params } = req;
  for (const key of Object.keys(body)) {
    if (key === 'query' || key === 'size' || key === 'from' || key === 'sort' || key === 'track_total_hits')
      continue;
    if (IGNORED_KEYS.has(key)) continue;
    if (key === 'aggs' || key === 'aggregations') {
      throw new EsError(
        400,
        'illegal_argument_exception',
        'aggregations are not supported; use /api/v1/histogram',
      );
    }
    throw new EsError(
      400,
      'illegal_argument_exception',
      `[${key}] is not supported by Sawmill's Elasticsearch API (supported: query, size, from, sort, track_total_hits)`,
    );
  }
  if (params.scroll !== undefined) {
    throw new EsError(400, 'illegal_argument_exception', 'scroll is not supported; page with from/size');
  }

  const size = intOf(body.size ?? params.size, 'size', 10);
  const from = intOf(body.from ?? params.from, 'from', 0);
  if (from + size > MAX_WINDOW) {
    throw new EsError(
      400,
      'illegal_argument_exception',
      `Result window is too large, from + size must be less than or equal to: [${MAX_WINDOW}] but was [${from + size}]`,
    );
  }
  const parts: QueryNode[] = [];
  if (body.query !== undefined) parts.push(translateQuery(body.query));
  if (params.q !== undefined && params.q !== '') parts.push(uriQuery(params.q));
  const indexFilter = indexQuery(req.index);
  if (indexFilter) parts.push(indexFilter);
  if (req.within && req.within.kind !== 'all') parts.push(req.within);
  const query: QueryNode =
    parts.length === 0 ? { kind: 'all' } : parts.length === 1 ? parts[0]! : { kind: 'and', children: parts };
  const order = sortOrder(body.sort ?? params.sort);
  const trackTotal = body.track_total_hits ?? params.track_total_hits;
  const withTotal = trackTotal !== false && trackTotal !== 'false';

  let hits: OutputRecord[] = [];
  let total: number | null = null;
  if (from + size === 0) {
    if (withTotal) total = await ctx.store.count({ query });
  } else if (order === 'desc') {
    const result = await ctx.store.search({ query, limit: from + size, withTotal });
    hits = result.hits.slice(from, from + size);
    total = result.total;
  } else {
    hits = (await oldestFirst(ctx, query, from + size)).slice(from, from + size);
    if (withTotal) total = await ctx.store.count({ query });
  }

  const asInt = params.rest_total_hits_as_int === 'true' || params.rest_total_hits_as_int === '';
  return {
    took: Math.round(performance.now() - start),
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: {
      ...(total === null ? {} : { total: asInt ? total : { value: total, relation: 'eq' } }),
      max_score: null,
      hits: hits.map(toHit),
    },
  };
}

/** A record as an ES hit: the client's `_id` and `_index` when it sent them, the record as `_source`. */
function toHit(r: OutputRecord): unknown {
  const { _index, _id, ...source } = r;
  return {
    _index: typeof _index === 'string' ? _index : 'sawmill',
    _id: typeof _id === 'string' ? _id : r.id,
    _score: null,
    _source: source,
    sort: [Date.parse(r.timestamp)],
  };
}

/**
 * Oldest first, without an ascending scan in the store: find a time `t` from the oldest match
 * such that between `need` and MAX_WINDOW matches lie at or before it (bisecting on counts), then
 * fetch that window newest-first and reverse it.
 */
async function oldestFirst(ctx: IngestContext, query: QueryNode, need: number): Promise<OutputRecord[]> {
  const bounds = await ctx.store.timeBounds({ query });
  if (!bounds) return [];
  const countTo = (to: number) => ctx.store.count({ query, from: bounds.from, to });
  let to = bounds.to;
  let count = await countTo(to);
  if (count > MAX_WINDOW) {
    // Invariant: countTo(low) < need or low is untested, countTo(high) > MAX_WINDOW.
    let low = bounds.from;
    let high = bounds.to;
    for (;;) {
      if (high - low <= 1) {
        const c = await countTo(low);
        if (c >= need && c <= MAX_WINDOW) {
          to = low;
          count = c;
          break;
        }
        throw new EsError(
          400,
          'illegal_argument_exception',
          `more than ${MAX_WINDOW} matches share one timestamp; ascending sort cannot page through them: narrow the query`,
        );
      }
      const mid = Math.floor((low + high) / 2);
      const c = await countTo(mid);
      if (c > MAX_WINDOW) high = mid;
      else if (c >= need) {
        to = mid;
        count = c;
        break;
      } else low = mid;
    }
  }
  if (count === 0) return [];
  const page = await ctx.store.search({ query, from: bounds.from, to, limit: count, withTotal: false });
  return page.hits.reverse();
}

/** `{index}`: names and `*` patterns, comma-separated; `_all` and `*` mean every record. */
function indexQuery(index: string | undefined): QueryNode | null {
  if (index === undefined || index === '' || index === '_all' || index === '*') return null;
  const names = index.split(',').filter((n) => n !== '');
  const nodes: QueryNode[] = names.map((name) =>
    name.includes('*')
      ? { kind: 'wildcard', field: '_index', pattern: name.split('*').map(escapeWildcard).join('*') }
      : { kind: 'phrase', field: '_index', value: name },
  );
  if (nodes.length === 0) return null;
  return nodes.length === 1 ? nodes[0]! : { kind: 'or', children: nodes };
}

function uriQuery(q: string): QueryNode {
  try {
    return parseQuery(q);
  } catch (err) {
    if (err instanceof QuerySyntaxError) {
      throw new EsError(400, 'query_shard_exception', `Failed to parse query [${q}]: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Only the timestamp orders results (newest first by default, as Sawmill does); `_score`, `_doc`
 * and `_id` are accepted as tie-breakers since Sawmill already breaks ties by record id.
 */
function sortOrder(sort: unknown): 'asc' | 'desc' {
  if (sort === undefined || sort === null || sort === '') return 'desc';
  const entries = Array.isArray(sort) ? sort : typeof sort === 'string' ? sort.split(',') : [sort];
  let order: 'asc' | 'desc' | undefined;
  for (const entry of entries) {
    for (const [field, dir] of sortEntry(entry)) {
      if (
        field === '_score' ||
        field === '_doc' ||
        field === '_id' ||
        field === '_shard_doc' ||
        field === 'id'
      )
        continue;
      if (mapField(field) !== 'timestamp') {
        throw new EsError(
          400,
          'illegal_argument_exception',
          `sorting on [${field}] is not supported: Sawmill sorts by timestamp`,
        );
      }
      if (order === undefined) order = dir;
    }
  }
  return order ?? 'desc';
}

function sortEntry(entry: unknown): Array<[string, 'asc' | 'desc']> {
  if (typeof entry === 'string') {
    const [field = '', dir = 'desc'] = entry.split(':');
    return [[field.trim(), direction(dir)]];
  }
  if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    return Object.entries(entry).map(([field, spec]) => {
      const dir = typeof spec === 'string' ? spec : (spec as { order?: unknown } | null)?.order;
      return [field, direction(dir ?? 'desc')];
    });
  }
  throw new EsError(400, 'illegal_argument_exception', `cannot read sort ${JSON.stringify(entry)}`);
}

function direction(v: unknown): 'asc' | 'desc' {
  const d = String(v).trim().toLowerCase();
  if (d === 'asc' || d === 'desc') return d;
  throw new EsError(
    400,
    'illegal_argument_exception',
    `sort order must be asc or desc, got ${JSON.stringify(v)}`,
  );
}

function intOf(v: unknown, name: string, dflt: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new EsError(
      400,
      'illegal_argument_exception',
      `[${name}] must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}
