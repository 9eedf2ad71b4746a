import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../src/query/parse.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';

/**
 * Counting answers of unchanged day tables are kept per day (store/duckdb/day-results.ts). A
 * cached store must answer every histogram, count, total and time-bounds question exactly as a
 * store that counts afresh each time, also after a late record lands in a closed day, after
 * retention trims a day, and for ranges that cut days in two.
 */
const HOUR = 3_600_000_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 4, 1) * 1000;
const DAYS = 4;

let dir: string;
let cached: DuckDbStore;
let fresh: DuckDbStore;
let nextId = 5_000_000;

const MESSAGES = [
  'Failed to connect to db-1',
  'failed  to CONNECT to cache',
  'request served in 12 ms',
  'connection refused by peer',
  'timeout waiting for lock',
];

/** `n` records spread over `days` days from `start`; day 2 has no "Failed to connect" at all. */
function records(n: number, start: number, days: number, seed: number): string[] {
  let x = seed;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    const ts = start + Math.floor((x / 2147483648) * days * DAY);
    let message = MESSAGES[i % MESSAGES.length]!;
    if (Math.floor((ts - T0) / DAY) === 2 && i % MESSAGES.length < 2) message = 'all quiet';
    return JSON.stringify({
      id: String(nextId++),
      ts,
      level: ['info', 'warn', 'error'][i % 3],
      message,
      resourceId: `server-${i % 7}`,
      attrs: {},
    });
  });
}

async function loadBoth(lines: string[], key: string): Promise<void> {
  const sorted = [...lines].sort((a, b) => JSON.parse(a).id - JSON.parse(b).id);
  for (const s of [cached, fresh]) await s.load({ parts: [{ key, lines: sorted }] });
}

async function open(sub: string, dayResultsCost?: number): Promise<DuckDbStore> {
  const s = new DuckDbStore({ dir: path.join(dir, sub), queryTimeoutMs: 30_000, dayResultsCost });
  await s.open();
  return s;
}

const QUERIES = [
  '"Failed to connect"',
  'connect',
  'message:/conn(ect|ection) refused/',
  'timeout OR resourceId:server-3',
  '"Failed to connect" AND level:error',
  'resourceId:server-5',
  'nosuchword',
];

/** Ranges: all time, whole days, and ones cutting days in two. */
const RANGES: Array<{ from?: number; to?: number }> = [
  {},
  { from: T0 + DAY, to: T0 + 3 * DAY - 1 },
  { from: T0 + DAY / 2, to: T0 + 2 * DAY + 5 * HOUR },
  { from: T0 + 2 * DAY + HOUR },
];

async function answers(s: DuckDbStore, q: string, range: { from?: number; to?: number }) {
  const query = parseQuery(q);
  const histogram = await s.histogram({ query, ...range, intervalMicros: 6 * HOUR });
  const wide = await s.histogram({ query, ...range, intervalMicros: 2 * DAY });
  const count = await s.count({ query, ...range });
  const page = await s.search({ query, ...range, limit: 5 });
  const bounds = await s.timeBounds({ query, ...range });
  // As the API asks for an all-time histogram: the matches' bounds, flagged as such.
  const withinBounds =
    bounds &&
    (await s.histogram({
      query,
      ...range,
      ...bounds,
      intervalMicros: 6 * HOUR,
      fromIsOldestMatch: range.from === undefined,
      toIsNewestMatch: range.to === undefined,
    }));
  return { histogram, wide, count, total: page.total, ids: page.hits.map((h) => h.id), bounds, withinBounds };
}

async function expectSame(): Promise<void> {
  for (const q of QUERIES) {
    for (const range of RANGES) {
      const expected = await answers(fresh, q, range);
      // Twice: the first answer is counted (and kept), the second comes from what was kept.
      expect({ q, range, ...(await answers(cached, q, range)) }).toEqual({ q, range, ...expected });
      expect({ q, range, ...(await answers(cached, q, range)) }).toEqual({ q, range, ...expected });
    }
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-day-results-'));
  cached = await open('cached');
  fresh = await open('fresh', 0);
  await loadBoth(records(4000, T0, DAYS, 11), 'a');
}, 60_000);

afterAll(async () => {
  for (const s of [cached, fresh]) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('per-day counting answers', () => {
  it('are the same as counting afresh, and repeated ones come from the cache', async () => {
    expect(fresh.dayResults).toBeNull();
    const hitsBefore = cached.dayResults!.hits;
    await expectSame();
    expect(cached.dayResults!.hits).toBeGreaterThan(hitsBefore + QUERIES.length * DAYS);
    // The histogram's days with a phrase: the quiet day has none, so all time spans it.
    const h = await cached.histogram({ query: parseQuery('"Failed to connect"'), intervalMicros: DAY });
    expect(h.map((b) => (b.ts - T0) / DAY)).toEqual([0, 1, 3]);
    // Within the matches' bounds, flagged as such, the histogram reads whole days: kept too.
    const query = parseQuery('"Failed to connect"');
    const bounds = (await cached.timeBounds({ query }))!;
    const asApi = { query, ...bounds, intervalMicros: DAY, fromIsOldestMatch: true, toIsNewestMatch: true };
    await cached.histogram(asApi);
    const hits = cached.dayResults!.hits;
    expect(await cached.histogram(asApi)).toEqual(h);
    expect(cached.dayResults!.hits).toBe(hits + DAYS);
  });

  it('a day answered from the cache is counted again once a late record lands in it', async () => {
    // The cache holds every answer of the test before.
    const late = JSON.stringify({
      id: String(nextId++),
      ts: T0 + DAY + 7 * HOUR,
      level: 'fatal',
      message: 'Failed to connect, late',
      attrs: {},
    });
    const query = parseQuery('"Failed to connect"');
    const before = await cached.count({ query });
    await loadBoth([late], 'late');
    expect(await cached.count({ query })).toBe(before + 1);
    const h = await cached.histogram({ query, intervalMicros: DAY });
    expect(h.find((b) => b.ts === T0 + DAY)!.counts.fatal).toBe(1);
    await expectSame();
  });

  it('a late record in a day with no match yet moves the time bounds', async () => {
    const query = parseQuery('nosuchword');
    expect(await cached.timeBounds({ query })).toBeNull();
    const ts = T0 + 2 * DAY + 3 * HOUR;
    await loadBoth(
      [JSON.stringify({ id: String(nextId++), ts, level: 'info', message: 'nosuchword', attrs: {} })],
      'w',
    );
    expect(await cached.timeBounds({ query })).toEqual({ from: ts, to: ts });
    await expectSame();
  });

  it('stay exact after retention trims the oldest day', async () => {
    for (const s of [cached, fresh]) await s.applyRetention(T0 + DAY / 3);
    await expectSame();
  });

  it('are not kept for queries with relative times, whose meaning moves with the clock', async () => {
    const query = parseQuery('timestamp:<now-1d AND connect');
    await cached.histogram({ query, intervalMicros: DAY });
    const hits = cached.dayResults!.hits;
    const size = cached.dayResults!.size;
    await cached.histogram({ query, intervalMicros: DAY });
    expect(cached.dayResults!.hits).toBe(hits);
    expect(cached.dayResults!.size).toBe(size);
  });
});
