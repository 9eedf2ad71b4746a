import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../src/query/parse.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import type { HistogramBucket } from '../src/store/store.js';

/**
 * Histograms and totals of time-only queries come from the per-minute rollup plus a scan of the
 * partial minutes at the edges. They must equal, exactly, what a scan of the records says: the
 * same histogram asked with a filter that matches everything but is not time-only (`id:*`)
 * takes the scan path, so the two are compared on awkward ranges. Filters on level only are
 * summed from the rollup's level column the same way.
 */
const S = 1_000_000;
const M = 60 * S;
const T0 = Date.UTC(2026, 2, 1, 23, 0) * 1000; // an hour before a day boundary
const LEVELS = ['debug', 'info', 'warn', 'error'];

let store: DuckDbStore;
let dir: string;
let nextId = 1000n;
const all: number[] = [];

/** Deterministic pseudo-random timestamps over `spanMin` minutes after T0 + offset. */
function lines(count: number, offsetMin: number, spanMin: number, seed: number): string[] {
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const ts = T0 + offsetMin * M + Math.floor((x / 2147483648) * spanMin * M);
    all.push(ts);
    out.push(JSON.stringify({ id: String(nextId++), ts, level: LEVELS[i % 4], message: `m${i}`, attrs: {} }));
  }
  return out;
}

async function loadDirect(key: string, ls: string[]): Promise<void> {
  const recs = ls.map((l) => JSON.parse(l) as { id: string; ts: number });
  const bounds = {
    minTs: Math.min(...recs.map((r) => r.ts)),
    maxTs: Math.max(...recs.map((r) => r.ts)),
    firstId: BigInt(recs[0]!.id),
    lastId: BigInt(recs[recs.length - 1]!.id),
  };
  await store.load({ parts: [{ key, lines: ls, bounds }] });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-rollup-'));
  store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
  await store.open();
  // Direct day inserts (known bounds inside one day) and staged ones (no bounds; two days).
  await loadDirect('a', lines(300, 0, 50, 1));
  await loadDirect('b', lines(300, 10, 20, 2));
  await store.load({ parts: [{ key: 'c', lines: lines(400, 30, 120, 3) }] });
  // Re-delivering an applied part must not count twice.
  await store.load({ parts: [{ key: 'a', lines: ['{}'] }] });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const strip = (bs: HistogramBucket[]) => bs.map((b) => ({ ts: b.ts, counts: b.counts, total: b.total }));

async function compare(from: number | undefined, to: number | undefined, interval: number) {
  const rollup = await store.histogram({ query: parseQuery('*'), from, to, intervalMicros: interval });
  const scan = await store.histogram({ query: parseQuery('id:*'), from, to, intervalMicros: interval });
  expect(strip(rollup)).toEqual(strip(scan));
  const expected = all.filter((t) => (from === undefined || t >= from) && (to === undefined || t <= to));
  expect(rollup.reduce((n, b) => n + b.total, 0)).toBe(expected.length);
  expect(await store.count({ query: parseQuery('*'), from, to })).toBe(expected.length);
}

describe('minute rollup', () => {
  it.each([
    ['everything, 1-minute buckets', undefined, undefined, M],
    ['everything, 1-hour buckets', undefined, undefined, 60 * M],
    ['unaligned edges', T0 + 7 * M + 13 * S + 5, T0 + 95 * M + 59 * S, 5 * M],
    ['inside one minute', T0 + 31 * M + 10 * S, T0 + 31 * M + 50 * S, M],
    ['one exact minute', T0 + 31 * M, T0 + 32 * M - 1, M],
    ['across the day boundary', T0 + 55 * M + 1, T0 + 65 * M + 1, 10 * M],
    ['open start', undefined, T0 + 40 * M + 30 * S, 30 * M],
    ['open end', T0 + 100 * M + 1, undefined, 30 * M],
  ])('%s: equals a scan', async (_name, from, to, interval) => {
    await compare(from, to, interval);
  });

  it('serves time-only queries (timestamp ranges) the same way', async () => {
    const q = `timestamp:[${new Date((T0 + 5 * M + 500) / 1000).toISOString()} TO ${new Date((T0 + 80 * M) / 1000).toISOString()}}`;
    const viaRollup = await store.count({ query: parseQuery(q) });
    const viaScan = await store.count({ query: parseQuery(`${q} AND id:*`) });
    expect(viaRollup).toBe(viaScan);
    expect(viaRollup).toBeGreaterThan(0);
  });

  it.each([
    'level:error',
    'level:>=warn',
    '-level:debug',
    '(level:info OR level:warn)',
    'level:error AND level:info',
    'level:*',
  ])('serves %s from the rollup by level, equal to a scan', async (q) => {
    const from = T0 + 7 * M + 13 * S + 5;
    const to = T0 + 95 * M + 59 * S;
    for (const range of [{}, { from, to }]) {
      const viaRollup = await store.histogram({ query: parseQuery(q), ...range, intervalMicros: 5 * M });
      const viaScan = await store.histogram({
        query: parseQuery(`(${q}) AND id:*`),
        ...range,
        intervalMicros: 5 * M,
      });
      expect(strip(viaRollup)).toEqual(strip(viaScan));
      expect(await store.count({ query: parseQuery(q), ...range })).toBe(
        await store.count({ query: parseQuery(`(${q}) AND id:*`), ...range }),
      );
    }
  });

  it('stays exact after retention cuts into a minute', async () => {
    await store.applyRetention(T0 + 20 * M + 30 * S + 7);
    all.splice(0, all.length, ...all.filter((t) => t >= T0 + 20 * M + 30 * S + 7));
    await compare(undefined, undefined, M);
    await compare(T0 + 20 * M, T0 + 21 * M, M);
  });

  it('runs a retention sweep that arrives during a load after it, not inside its transaction', async () => {
    const cutoff = T0 + 21 * M;
    const results = await Promise.all([
      loadDirect('d', lines(50, 100, 10, 4)),
      store.applyRetention(cutoff),
      loadDirect('e', lines(50, 110, 10, 5)),
    ]);
    expect(results[1]).toBeGreaterThan(0);
    all.splice(0, all.length, ...all.filter((t) => t >= cutoff));
    await compare(undefined, undefined, M);
  });

  it('is rebuilt for a database that has none, and survives a restart', async () => {
    await store.close();
    store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
    await store.open();
    await compare(undefined, undefined, M);
    // A database from before the rollup existed: drop it and reopen.
    await (store as unknown as { writer: { run(sql: string): Promise<unknown> } }).writer.run(
      'DROP TABLE sawmill_minute_counts',
    );
    await store.close();
    store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
    await store.open();
    await compare(T0 + 3 * M + 1, T0 + 140 * M, 10 * M);
  });
});
