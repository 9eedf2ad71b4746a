import { COMMON_WORD, END, RARE_WORD, SPAN_MS } from './generate.js';

/**
 * The query shapes measured, each with the API request and, where grep can express it, the
 * ripgrep pipeline over the raw NDJSON that answers the same question. Newest-50 shapes pipe
 * rg through `tail -n 50`: the file is oldest-first, so the newest matches are at its end.
 */
export interface QueryShape {
  name: string;
  path: string;
  params: Record<string, string>;
  rg?: (file: string) => string;
  /** Target p50 at 10M records, ms (from the issue). */
  targetMs?: number;
  newest50?: boolean;
}

const hour = new Date(END - SPAN_MS / 2).toISOString().slice(0, 13); // e.g. 2026-01-04T12

export function shapes(traceId: string): QueryShape[] {
  return withoutTotal([
    {
      name: 'word newest-50',
      path: '/api/v1/search',
      params: { q: COMMON_WORD, limit: '50' },
      rg: (f) => `rg -i -w ${COMMON_WORD} ${f} | tail -n 50`,
      targetMs: 50,
      newest50: true,
    },
    {
      name: 'phrase newest-50',
      path: '/api/v1/search',
      params: { q: '"Failed to connect"', limit: '50' },
      rg: (f) => `rg -i -F 'Failed to connect' ${f} | tail -n 50`,
      targetMs: 50,
      newest50: true,
    },
    {
      name: 'level+resourceId newest-50',
      path: '/api/v1/search',
      params: { q: 'level:error AND resourceId:server-0012', limit: '50' },
      rg: (f) => `rg '"level":"error".*"resourceId":"server-0012"' ${f} | tail -n 50`,
      targetMs: 20,
      newest50: true,
    },
    {
      name: '1-hour window newest-50',
      path: '/api/v1/search',
      params: { from: `${hour}:00:00Z`, to: `${hour}:59:59.999Z`, limit: '50' },
      rg: (f) => `rg -F '"timestamp":"${hour}:' ${f} | tail -n 50`,
      targetMs: 20,
      newest50: true,
    },
    {
      name: 'traceId exact',
      path: '/api/v1/search',
      params: { q: `traceId:${traceId}`, limit: '50' },
      rg: (f) => `rg -F '"traceId":"${traceId}"' ${f} | tail -n 50`,
      targetMs: 20,
      newest50: true,
    },
    {
      name: 'regex newest-50',
      path: '/api/v1/search',
      params: { q: 'message:/conn(ect|ection) refused/', limit: '50' },
      rg: (f) => `rg 'conn(ect|ection) refused' ${f} | tail -n 50`,
      newest50: true,
    },
    {
      name: 'rare word newest-50',
      path: '/api/v1/search',
      params: { q: RARE_WORD, limit: '50' },
      rg: (f) => `rg -w ${RARE_WORD} ${f} | tail -n 50`,
      targetMs: 50,
      newest50: true,
    },
    {
      name: '7-day histogram',
      path: '/api/v1/histogram',
      params: { from: new Date(END - SPAN_MS).toISOString(), to: new Date(END).toISOString() },
      targetMs: 150,
    },
    {
      name: 'count of a word',
      path: '/api/v1/search',
      params: { q: COMMON_WORD, limit: '1' },
      rg: (f) => `rg -c -i -w ${COMMON_WORD} ${f}`,
      targetMs: 300,
    },
    {
      name: 'count of a rare word',
      path: '/api/v1/search',
      params: { q: RARE_WORD, limit: '1' },
      rg: (f) => `rg -c -w ${RARE_WORD} ${f}`,
    },
    {
      name: 'histogram of a rare word, all time',
      path: '/api/v1/histogram',
      params: { q: RARE_WORD },
    },
    {
      name: 'histogram of a phrase, all time',
      path: '/api/v1/histogram',
      params: { q: '"Failed to connect"' },
    },
    {
      name: 'sample: level:error',
      path: '/api/v1/search',
      params: { q: 'level:error', limit: '50' },
      newest50: true,
    },
    {
      name: 'sample: "Failed to connect"',
      path: '/api/v1/search',
      params: { q: '"Failed to connect"', limit: '50' },
      newest50: true,
    },
    {
      name: 'sample: resourceId:server-1234',
      path: '/api/v1/search',
      params: { q: 'resourceId:server-0123', limit: '50' },
      newest50: true,
    },
    {
      name: 'sample: timestamp range',
      path: '/api/v1/search',
      params: {
        q: `timestamp:[${new Date(END - 5 * 86_400_000).toISOString()} TO ${new Date(END - 2 * 86_400_000).toISOString()}]`,
        limit: '50',
      },
      newest50: true,
    },
  ]);
}

/** Newest-50 shapes measure the page alone (`total=false`); the count is its own shape. */
function withoutTotal(list: QueryShape[]): QueryShape[] {
  return list.map((s) => (s.newest50 ? { ...s, params: { ...s.params, total: 'false' } } : s));
}

export interface Timing {
  p50: number;
  p95: number;
  serverP50: number;
  /**
   * The first request's wall time: before the server kept anything of this query (per-day
   * answers, store/duckdb/day-results.ts), though the engine's pages may be warm from others.
   */
  first: number;
}

/** Client wall time over `runs` requests after `warmups`, plus the server's own tookMs. */
export async function time(base: string, shape: QueryShape, runs = 20, warmups = 2): Promise<Timing> {
  const url = `${base}${shape.path}?${new URLSearchParams(shape.params)}`;
  const wall: number[] = [];
  const server: number[] = [];
  let first = 0;
  for (let i = 0; i < warmups + runs; i++) {
    const started = performance.now();
    const res = await fetch(url);
    const body = (await res.json()) as { tookMs?: number; error?: unknown };
    if (!res.ok) throw new Error(`${shape.name}: ${res.status} ${JSON.stringify(body.error)}`);
    if (i === 0) first = performance.now() - started;
    if (i >= warmups) {
      wall.push(performance.now() - started);
      server.push(body.tookMs ?? 0);
    }
  }
  const q = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
  return { p50: q(wall, 0.5), p95: q(wall, 0.95), serverP50: q(server, 0.5), first };
}
