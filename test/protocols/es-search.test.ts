import { describe, expect, it } from 'vitest';
import type { OutputRecord } from '../../src/model/record.js';
import { esSearch } from '../../src/protocols/elasticsearch/search.js';
import type { ServerContext } from '../../src/server/context.js';
import type { QueryParams, SearchParams, Store } from '../../src/store/store.js';

/**
 * Ascending sort without an ascending scan in the store: bisecting on counts must find the oldest
 * matches also when more than 10,000 records match. A fake store over an in-memory list (every
 * record matches; times in µs) keeps this independent of DuckDB and fast.
 */
function fakeCtx(times: number[]): { ctx: ServerContext; calls: { count: number } } {
  const recs: OutputRecord[] = times.map((ts, i) => ({
    id: String(i + 1),
    timestamp: new Date(ts / 1000).toISOString(),
    level: 'info',
    message: `m${i}`,
    ts,
  }));
  const inRange = (p: QueryParams) =>
    recs.filter(
      (r) =>
        (p.from === undefined || (r.ts as number) >= p.from) &&
        (p.to === undefined || (r.ts as number) <= p.to),
    );
  const calls = { count: 0 };
  const store: Partial<Store> = {
    async timeBounds(p) {
      const rs = inRange(p);
      return rs.length === 0
        ? null
        : {
            from: Math.min(...rs.map((r) => r.ts as number)),
            to: Math.max(...rs.map((r) => r.ts as number)),
          };
    },
    async count(p) {
      calls.count++;
      return inRange(p).length;
    },
    async search(p: SearchParams) {
      const rs = inRange(p).sort(
        (a, b) => (b.ts as number) - (a.ts as number) || Number(b.id) - Number(a.id),
      );
      return { hits: rs.slice(0, p.limit), total: p.withTotal === false ? null : rs.length, next: null };
    },
  };
  return { ctx: { store } as unknown as ServerContext, calls };
}

const T0 = Date.parse('2025-01-01T00:00:00Z') * 1000;

describe('_search sort asc', () => {
  it('pages from the oldest record through more than 10,000 matches', async () => {
    const { ctx, calls } = fakeCtx(Array.from({ length: 25_000 }, (_, i) => T0 + i * 1_000_000));
    const res = (await esSearch(ctx, {
      body: { sort: [{ '@timestamp': 'asc' }], from: 5, size: 3 },
      params: {},
    })) as {
      hits: { total: { value: number }; hits: Array<{ _source: { message: string } }> };
    };
    expect(res.hits.total.value).toBe(25_000);
    expect(res.hits.hits.map((h) => h._source.message)).toEqual(['m5', 'm6', 'm7']);
    expect(calls.count).toBeLessThan(40);
  });

  it('refuses when more than 10,000 matches share the oldest timestamp', async () => {
    const { ctx } = fakeCtx([...Array.from({ length: 10_001 }, () => T0), T0 + 5_000_000]);
    await expect(esSearch(ctx, { body: { sort: '@timestamp:asc' }, params: {} })).rejects.toThrow(
      /share one timestamp/,
    );
  });

  it('asks for only the oldest window when fewer than 10,000 match', async () => {
    const { ctx } = fakeCtx([T0 + 3, T0 + 1, T0 + 2]);
    const res = (await esSearch(ctx, { body: {}, params: { sort: '@timestamp:asc', size: '2' } })) as {
      hits: { hits: Array<{ _source: { message: string } }> };
    };
    expect(res.hits.hits.map((h) => h._source.message)).toEqual(['m1', 'm2']);
  });
});
