import type { QueryNode } from '../query/ast.js';
import { parseQuery, QuerySyntaxError } from '../query/parse.js';
import { parseTimeExpr } from '../query/time.js';
import type { Cursor } from '../store/store.js';
import { ApiError } from './errors.js';

/** Query-string parameters shared by the read endpoints, validated at the edge. */
export type RawParams = Record<string, string | string[] | undefined>;

export function str(params: RawParams, name: string): string | undefined {
  const v = params[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function queryParam(params: RawParams, name = 'q'): QueryNode {
  const text = str(params, name) ?? '';
  try {
    return parseQuery(text);
  } catch (err) {
    if (err instanceof QuerySyntaxError) {
      throw new ApiError('query_syntax', err.message, { position: err.position, query: text });
    }
    throw err;
  }
}

export function timeParam(params: RawParams, name: string, nowMs: number): number | undefined {
  const text = str(params, name);
  if (text === undefined || text === '') return undefined;
  try {
    return parseTimeExpr(text, nowMs);
  } catch (err) {
    throw new ApiError('invalid_parameter', `"${name}": ${(err as Error).message}`);
  }
}

export function intParam(params: RawParams, name: string, dflt: number, minV: number, maxV: number): number {
  const text = str(params, name);
  if (text === undefined || text === '') return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < minV || n > maxV) {
    throw new ApiError(
      'invalid_parameter',
      `"${name}" must be an integer from ${minV} to ${maxV}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** Cursors are opaque to clients: base64url of "<ts µs>:<id>". */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.ts}:${c.id}`).toString('base64url');
}

export function cursorParam(params: RawParams): Cursor | undefined {
  const text = str(params, 'cursor');
  if (!text) return undefined;
  const m = /^(\d{1,17}):(\d{1,20})$/.exec(Buffer.from(text, 'base64url').toString());
  if (!m) throw new ApiError('invalid_parameter', '"cursor" is not a cursor returned by this server');
  return { ts: Number(m[1]), id: m[2]! };
}

export function rangeParams(params: RawParams): { query: QueryNode; from?: number; to?: number } {
  const now = Date.now();
  const from = timeParam(params, 'from', now);
  const to = timeParam(params, 'to', now);
  if (from !== undefined && to !== undefined && from > to) {
    throw new ApiError('invalid_parameter', '"from" is later than "to"');
  }
  return { query: queryParam(params), from, to };
}
