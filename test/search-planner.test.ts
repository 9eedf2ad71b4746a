import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../src/query/parse.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';

/**
 * Newest-first search runs in time slices (last minute when the filter is on time only, last
 * hour, 6 h, day, rest) across day partitions.
 * Whatever the slicing, pages must come out in exact (timestamp, id) order, each record once.
 */
const H = 3_600_000_000;
const NOW = Date.UTC(2026, 0, 10, 0, 30) * 1000; // just after midnight: slices cross a day boundary
// biome-ignore format: one list of ages, kept compact
const AGES_H = [0, 0, 0.0166, 1 / 60, 0.0168, 0.5, 0.99, 1, 1.01, 3, 5.99, 6, 6.01, 12, 23.99, 24, 24.01, 30, 50, 100];

let store: DuckDbStore;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-planner-'));
  store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
  await store.open();
  const lines = AGES_H.map((age, i) =>
    JSON.stringify({
      id: String(1000 + i),
      ts: NOW - Math.round(age * H),
      level: i % 3 === 0 ? 'error' : 'info',
      message: `age ${age}`,
      attrs: {},
    }),
  );
  // two loads: one with a known time range (direct day insert), one without (staged split)
  await store.load({ parts: [{ key: 'a', lines: lines.slice(0, 11) }] });
  await store.load({
    parts: [
      {
        key: 'b',
        lines: lines.slice(11),
        bounds: { minTs: NOW - 100 * H, maxTs: NOW - 6 * H, firstId: 1011n, lastId: 1019n },
      },
    ],
  });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function walk(q: string, limit: number, range: { from?: number; to?: number } = {}) {
  const seen: string[] = [];
  let cursor: { ts: number; id: string } | undefined;
  for (;;) {
    const page = await store.search({ query: parseQuery(q), limit, cursor, ...range });
    seen.push(...page.hits.map((h) => h.message));
    if (!page.next) return seen;
    cursor = page.next;
  }
}

const expected = (pred: (age: number, i: number) => boolean) =>
  AGES_H.map((age, i) => ({ age, i }))
    .filter(({ age, i }) => pred(age, i))
    .sort((a, b) => a.age - b.age || b.i - a.i)
    .map(({ age }) => `age ${age}`);

describe('newest-first search across slices and days', () => {
  it.each([1, 2, 5, 50])('pages of %i return every record once, newest first', async (limit) => {
    expect(await walk('', limit)).toEqual(expected(() => true));
  });

  it('applies the filter in every slice', async () => {
    expect(await walk('level:error', 2)).toEqual(expected((_, i) => i % 3 === 0));
  });

  it('respects from/to inside the slices', async () => {
    const got = await walk('', 3, { from: NOW - 24 * H, to: NOW - 1 * H });
    expect(got).toEqual(expected((age) => age >= 1 && age <= 24));
  });

  it('counts exactly', async () => {
    const { total } = await store.search({ query: parseQuery(''), limit: 1 });
    expect(total).toBe(AGES_H.length);
  });
});

describe('searches while loads create day tables', () => {
  it('never name a table a load has not committed yet', async () => {
    const base = Date.UTC(2025, 0, 1) * 1000;
    const day = 86_400_000_000;
    let loading = true;
    const loop = async () => {
      let n = 0;
      while (loading) {
        await store.search({ query: parseQuery('message:x'), limit: 5, withTotal: true });
        n++;
      }
      return n;
    };
    const searches = Promise.all([loop(), loop(), loop()]).then((ns) => Math.min(...ns));
    for (let d = 0; d < 15; d++) {
      const line = JSON.stringify({ id: String(5000 + d), ts: base + d * day, level: 'info', message: 'x' });
      await store.load({
        parts: [
          {
            key: `day-${d}`,
            lines: [line],
            bounds: {
              minTs: base + d * day,
              maxTs: base + d * day,
              firstId: BigInt(5000 + d),
              lastId: BigInt(5000 + d),
            },
          },
        ],
      });
    }
    loading = false;
    expect(await searches).toBeGreaterThan(0);
    expect(await store.count({ query: parseQuery('message:x') })).toBe(15);
  });
});

describe('a page and its total', () => {
  it('agree while loads commit between them', async () => {
    const base = Date.UTC(2026, 0, 9, 12) * 1000;
    let loading = true;
    const mismatches: string[] = [];
    const loop = async () => {
      while (loading) {
        const r = await store.search({ query: parseQuery('message:agree'), limit: 1000 });
        if (r.hits.length !== Math.min(r.total ?? -1, 1000)) mismatches.push(`${r.hits.length}/${r.total}`);
      }
    };
    const readers = Promise.all([loop(), loop()]);
    for (let i = 0; i < 40; i++) {
      const id = 9000 + i;
      const line = JSON.stringify({
        id: String(id),
        ts: base + i,
        level: 'info',
        message: 'agree',
        attrs: {},
      });
      await store.load({
        parts: [
          {
            key: `agree-${i}`,
            lines: [line],
            bounds: { minTs: base + i, maxTs: base + i, firstId: BigInt(id), lastId: BigInt(id) },
          },
        ],
      });
    }
    loading = false;
    await readers;
    expect(mismatches).toEqual([]);
  });
});

describe('a trace or span id', () => {
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const span = '00f067aa0ba902b7';
  const ages = [0.5, 30, 80]; // within the first slice, a day back, days back

  beforeAll(async () => {
    const lines = ages.map((age, i) =>
      JSON.stringify({
        id: String(7000 + i),
        ts: NOW - Math.round(age * H),
        level: i === 1 ? 'error' : 'info',
        message: `traced ${age}`,
        traceId: trace,
        ...(i === 2 ? { spanId: span } : {}),
        attrs: {},
      }),
    );
    await store.load({ parts: [{ key: 'traced', lines }] });
  });

  it('is found in one read of the whole range, not slice by slice, every match newest first', async () => {
    const before = store.sliceQueries;
    expect(await walk(`traceId:${trace}`, 2)).toEqual(ages.map((a) => `traced ${a}`));
    expect(await walk(`traceId:${trace} AND level:error`, 2)).toEqual(['traced 30']);
    expect(await walk(`spanId:${span}`, 2)).toEqual(['traced 80']);
    expect(store.sliceQueries).toBe(before);
    // Any other filter still starts with the newest slice.
    expect(await walk('message:/traced/', 2)).toEqual(ages.map((a) => `traced ${a}`));
    expect(store.sliceQueries).toBeGreaterThan(before);
  });
});
