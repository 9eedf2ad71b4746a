import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../src/query/parse.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';

/**
 * Token filters may only skip blocks that certainly hold no match: every search, count and
 * histogram must be identical with and without them, over text chosen to trip a tokenizer
 * (case, Unicode letters and marks, the letters RE2 folds onto ASCII, punctuation, digits,
 * words at the edges, whitespace runs inside phrases, keyword fields equal to a word), also
 * after a restart, after retention, and on a database whose older rows have no filters.
 * Blocks are 8 rows here, so filters prune often.
 */
const DAY = 86_400_000_000;
const T0 = Date.UTC(2026, 2, 1) * 1000;
const ROWS = 2400;

// biome-ignore format: one word list, kept compact
const WORDS = [
  'timeout', 'Timeout', 'TIMEOUT', 'timeouts', 'pre-timeout', '(timeout)', 'timeout,', 'time_out',
  'stop', 'ſtop', 'STOP', 'kelvin', '\u212Aelvin', 'café', 'CAFÉ', 'cafe', 'naïve', 'straße', 'STRASSE',
  'C++', 'foo.bar', 'foo_bar', 'x-y', '日本語', 'emoji😀', '12345', '404', 'v2', 'abc123', 'İstanbul',
  'ıi', '!!', '--', 'failed', 'Failed', 'to', 'connect', 'connection', 'refused', 'zanzibar', 'quux',
  'e\u0301clair', 'Ωmega', 'ωmega', 'server-0001', 'deadbeef',
];
const SPACES = [' ', ' ', ' ', '  ', '\t', ' \n ', ', ', '-', '.'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rare words in a few runs of records (so most blocks lack them), the rest everywhere. */
function corpus(n: number, seed: number, firstId: number, start: number, words = WORDS): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const len = 1 + Math.floor(r() * 6);
    const rare =
      i % 400 < 5 ? ['zanzibarquux', 'Zanzibarquux', 'ZANZIBARQUUX.', 'zanzibar quux'][i % 4]! : '';
    const parts = Array.from({ length: len }, () => pick(words));
    if (rare) parts.splice(Math.floor(r() * parts.length), 0, rare);
    let message = '';
    for (const p of parts) message += (message && pick(SPACES)) + p;
    if (r() < 0.1) message = ` ${message} `;
    const special = r();
    return JSON.stringify({
      id: String(firstId + i),
      ts: start + Math.floor((i / n) * 2 * DAY) + Math.floor(r() * 1000),
      level: pick(['info', 'error', 'warn']),
      message,
      resourceId: special < 0.01 ? 'nightowl' : `server-${String(Math.floor(r() * 20)).padStart(4, '0')}`,
      traceId: special > 0.99 ? 'owl-trace' : '4bf92f3577b34da6a3ce929d0e0e4736',
      commit: special > 0.98 && special <= 0.99 ? 'hootcommit' : pick(['5e5342f', '1a2b3c4']),
      attrs: {},
    });
  });
}

// biome-ignore format: one query list, kept compact
const QUERIES = [
  'zanzibarquux', 'ZanzibarQuux', '"zanzibar quux"', '"zanzibar   quux"', 'zanzibar', 'quux', 'timeout',
  'TIMEOUT', 'timeouts', 'stop', 'ſtop', 'kelvin', 'café', 'cafe', 'naïve', 'strasse', 'straße', 'C++', '"C++"',
  'foo.bar', 'foo_bar', 'bar', 'x-y', '日本語', 'emoji', 'éclair', 'ωmega', 'ΩMEGA', '404', '12345', 'v2', 'abc123',
  'abc', 'istanbul', 'ii', '"failed to connect"', '"Failed  to connect"', '"to connect"', 'connect',
  '"connection refused"', 'nightowl', 'owl-trace', 'hootcommit', 'server-0001', 'deadbeef',
  'zanzibarquux AND timeout', 'zanzibarquux OR nightowl', 'zanzibarquux OR level:error', 'NOT zanzibarquux',
  '-timeout', 'zanzib*', 'zanzibarqu?x', 'message:/zanzibar ?quux/', 'message:/ZANZIBAR/i', 'message:zanzibarquux',
  'message:"zanzibar quux"', 'resourceId:nightowl', '(zanzibarquux OR hootcommit) AND NOT level:info',
  'zanzibarquux AND NOT stop', 'level:error AND (quux OR "foo.bar")', 'timestamp:>2026-03-02T00:00:00Z AND quux',
];

let dir: string;
let withF: DuckDbStore;
let without: DuckDbStore;
let legacy: DuckDbStore;

async function openStore(sub: string, tokenFilters: boolean, blockRows = 8): Promise<DuckDbStore> {
  const s = new DuckDbStore({
    dir: path.join(dir, sub),
    queryTimeoutMs: 30_000,
    tokenFilters,
    tokenFilterBlockRows: blockRows,
  });
  await s.open();
  return s;
}

/** Runs `sql` on a closed store's database file directly (to make it look older). */
async function onClosedStore(sub: string, sql: string): Promise<void> {
  const db = await DuckDBInstance.create(path.join(dir, sub, 'sawmill.duckdb'));
  const c = await db.connect();
  await c.run(sql);
  c.closeSync();
  db.closeSync();
}

/** The same loads, with and without time bounds (both insert paths of the loader). */
async function loadAll(stores: DuckDbStore[], lines: string[], key: string): Promise<void> {
  for (const s of stores) {
    for (let i = 0; i < lines.length; i += 300) {
      const part = lines.slice(i, i + 300);
      const ids = part.map((l) => BigInt((JSON.parse(l) as { id: string }).id));
      const ts = part.map((l) => (JSON.parse(l) as { ts: number }).ts);
      const bounded = (i / 300) % 2 === 0;
      await s.load({
        parts: [
          {
            key: `${key}-${i}`,
            lines: part,
            bounds: bounded
              ? {
                  minTs: Math.min(...ts),
                  maxTs: Math.max(...ts),
                  firstId: ids[0]!,
                  lastId: ids[ids.length - 1]!,
                }
              : undefined,
          },
        ],
      });
    }
  }
}

async function answers(s: DuckDbStore, q: string) {
  const query = parseQuery(q);
  const ids: string[] = [];
  let cursor: { ts: number; id: string } | undefined;
  let total: number | null = null;
  for (let pages = 0; ; pages++) {
    const page = await s.search({ query, limit: 13, cursor });
    total ??= page.total;
    ids.push(...page.hits.map((h) => h.id));
    if (!page.next || pages >= 2) break;
    cursor = page.next;
  }
  const histogram = await s.histogram({ query, intervalMicros: 3_600_000_000 });
  const day = await s.search({ query, limit: 20, from: T0 + DAY / 2, to: T0 + DAY + 3_600_000_000 });
  const count = await s.count({ query });
  const bounds = await s.timeBounds({ query });
  return { ids, total, histogram, day: day.hits.map((h) => h.id), dayTotal: day.total, count, bounds };
}

async function expectSame(a: DuckDbStore, b: DuckDbStore, queries = QUERIES): Promise<void> {
  for (let i = 0; i < queries.length; i += 4) {
    await Promise.all(
      queries.slice(i, i + 4).map(async (q) => {
        const [x, y] = await Promise.all([answers(a, q), answers(b, q)]);
        expect({ q, ...x }).toEqual({ q, ...y });
      }),
    );
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-tokens-'));
  withF = await openStore('with', true);
  without = await openStore('without', false);
  legacy = await openStore('legacy', false);
  await loadAll([withF, without, legacy], corpus(ROWS, 7, 1_000_000, T0), 'a');
  // `legacy` wrote no blocks: as a database from before filters, it gets them from now on.
  await legacy.close();
  await onClosedStore('legacy', 'DROP TABLE sawmill_blocks');
  legacy = await openStore('legacy', true);
  // More rows into the same days and a later one, after the first ones (ids only grow).
  await loadAll([withF, without, legacy], corpus(ROWS, 8, 2_000_000, T0 + DAY), 'b');
}, 400_000);

afterAll(async () => {
  for (const s of [withF, without, legacy]) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** Restarts and retention change what the filters know, not how they judge a word: a sample suffices there. */
const SAMPLE = QUERIES.filter((_, i) => i % 4 === 0);

describe('token filters change no answer', () => {
  it('the corpus has matches to find and blocks to skip', async () => {
    const rare = await answers(without, 'zanzibarquux');
    expect(rare.total).toBeGreaterThan(10);
    expect(rare.total).toBeLessThan(ROWS / 20);
    expect((await answers(without, 'nightowl')).total).toBeGreaterThan(0);
    expect((await answers(without, 'hootcommit')).total).toBeGreaterThan(0);
    const pruned = withF.tokenFilterStats(parseQuery('zanzibarquux'));
    expect(pruned.blocks).toBeGreaterThan(400);
    expect(pruned.admitted).toBeLessThan(pruned.blocks / 4);
    const never = withF.tokenFilterStats(parseQuery('NOT zanzibarquux'));
    expect(never.admitted).toBe(never.blocks);
  });

  it('a sparse word is searched in windows of admitted blocks, a common one in time slices', async () => {
    const before = withF.searchWindows;
    await withF.search({ query: parseQuery('zanzibarquux'), limit: 13, withTotal: false });
    expect(withF.searchWindows).toBeGreaterThan(before);
    const after = withF.searchWindows;
    await withF.search({ query: parseQuery('timeout'), limit: 13, withTotal: false });
    expect(withF.searchWindows).toBe(after);
  });

  it('store each load in time order, its blocks numbered in that order', async () => {
    const s = await openStore('order', true);
    const shuffled = corpus(ROWS / 2, 13, 10_000_000, T0).sort(() => rng(3)() - 0.5);
    await loadAll([s], shuffled.slice().reverse(), 'h');
    await s.close();
    const db = await DuckDBInstance.create(path.join(dir, 'order', 'sawmill.duckdb'));
    const c = await db.connect();
    for (const [t] of (
      await c.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'logs_2%'`)
    ).getRows()) {
      // Within a load (a block never spans two), rows are in (ts, id) order; blocks count up.
      const [unsorted, backwards, blocks] = (
        await c.runAndReadAll(
          `SELECT count(*) FILTER (WHERE blk = pb AND (ts, id) < (pts, pid)), count(*) FILTER (WHERE blk < pb),
                  count(DISTINCT blk)
           FROM (SELECT ts, id, blk, lag(ts) OVER w AS pts, lag(id) OVER w AS pid, lag(blk) OVER w AS pb
                 FROM ${t as string} WINDOW w AS (ORDER BY rowid))`,
        )
      ).getRows()[0]!;
      expect({ t, unsorted: Number(unsorted), backwards: Number(backwards) }).toEqual({
        t,
        unsorted: 0,
        backwards: 0,
      });
      expect(Number(blocks)).toBeGreaterThan(1);
    }
    c.closeSync();
    db.closeSync();
  });

  it('with filters, without, and on a database that gained them later', async () => {
    await expectSame(withF, without);
    await expectSame(legacy, without);
  }, 400_000);

  it('after a restart (filters read back from disk)', async () => {
    await withF.close();
    withF = await openStore('with', true);
    await expectSame(withF, without, SAMPLE);
  }, 400_000);

  it('after retention trims a day and drops another', async () => {
    const cutoff = T0 + DAY + 7 * 3_600_000_000;
    for (const s of [withF, without, legacy]) await s.applyRetention(cutoff);
    await expectSame(withF, without, SAMPLE);
    await expectSame(legacy, without, SAMPLE);
    await withF.close();
    withF = await openStore('with', true);
    await expectSame(withF, without, SAMPLE);
  }, 600_000);
});

/**
 * Blocks of the first layout (v1) named rows by time range, and their rows have no `blk`: such
 * a database opens with those blocks dropped and its rows read whole, and its later loads get
 * blocks of the current layout.
 */
describe('a database with blocks of the older layout', () => {
  it('drops them, reads those rows whole, and builds new blocks for new loads', async () => {
    const old = await openStore('v1', true);
    const plain = await openStore('v1-without', false);
    await loadAll([old, plain], corpus(ROWS / 2, 11, 8_000_000, T0), 'f');
    await old.close();
    const db = await DuckDBInstance.create(path.join(dir, 'v1', 'sawmill.duckdb'));
    const c = await db.connect();
    await c.run('UPDATE sawmill_blocks SET v = 1, blk = NULL');
    for (const [t] of (
      await c.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'logs_2%'`)
    ).getRows()) {
      await c.run(`ALTER TABLE ${t as string} DROP COLUMN blk`);
    }
    c.closeSync();
    db.closeSync();
    let reopened = await openStore('v1', true);
    try {
      expect(reopened.tokenFilterStats(parseQuery('zanzibarquux')).blocks).toBe(0);
      await expectSame(reopened, plain, SAMPLE);
      await loadAll([reopened, plain], corpus(ROWS / 2, 12, 9_000_000, T0 + DAY), 'g');
      expect(reopened.tokenFilterStats(parseQuery('zanzibarquux')).blocks).toBeGreaterThan(0);
      await expectSame(reopened, plain, SAMPLE);
      await reopened.close();
      reopened = await openStore('v1', true);
      await expectSame(reopened, plain, SAMPLE);
    } finally {
      await reopened.close();
      await plain.close();
    }
  }, 400_000);
});

/**
 * Counts of one word come from the blocks' token counts where every message is ASCII (and the
 * blocks describe every row of the day): they must equal the scanned counts, also once retention
 * trimmed a day (whose blocks then no longer know their row counts) and after a restart.
 */
describe('exact word counts from token counts', () => {
  const ascii = WORDS.filter((w) => /^[\x20-\x7e]+$/.test(w));
  const words = [
    'timeout',
    'TIMEOUT',
    'stop',
    'kelvin',
    'nightowl',
    'hootcommit',
    'zanzibarquux',
    'to',
    'connect',
    'failed',
    'time_out',
    'v2',
    'abc123',
    'server',
    'foo',
    'message:timeout',
    '"timeout"',
    'quux',
    'time*',
    'zanzibarqu?x',
    '"failed to connect"',
  ];
  let a: DuckDbStore;
  let b: DuckDbStore;
  /** ASCII too, but its first rows were loaded with filters off: they are in no block. */
  let old: DuckDbStore;

  beforeAll(async () => {
    a = await openStore('ascii-with', true, 256);
    b = await openStore('ascii-without', false, 256);
    old = await openStore('ascii-old', false, 256);
    await loadAll([a, b, old], corpus(ROWS, 9, 5_000_000, T0, ascii), 'c');
    await old.close();
    old = await openStore('ascii-old', true, 256);
    await loadAll([a, b, old], corpus(ROWS, 10, 6_000_000, T0 + DAY, ascii), 'd');
    // A block where no token is frequent enough to be counted (and, in the same day, the rest).
    const few = ['alpha timeout', 'beta', 'gamma stop', 'delta'].map((message, i) =>
      JSON.stringify({ id: String(7_000_000 + i), ts: T0 + 2 * DAY + i, level: 'info', message, attrs: {} }),
    );
    await loadAll([a, b, old], few, 'e');
    // A later day: a block of ASCII messages, then one with a non-ASCII message.
    const mixed = ['plain timeout', 'café timeout'].map((message, i) =>
      JSON.stringify({
        id: String(7_000_100 + i),
        ts: T0 + 3 * DAY + i * 1000,
        level: 'info',
        message,
        attrs: {},
      }),
    );
    for (const [i, line] of mixed.entries()) await loadAll([a, b, old], [line], `f${i}`);
  }, 120_000);
  afterAll(async () => {
    await a.close();
    await b.close();
    await old.close();
  });

  it('are matched with ASCII word classes only where every row in range is in an ASCII block', async () => {
    const before = { a: a.asciiReads, old: old.asciiReads, withF: withF.asciiReads };
    await expectSame(a, b, words);
    await expectSame(old, b, words);
    await withF.search({ query: parseQuery('timeout'), limit: 13 });
    expect(a.asciiReads).toBeGreaterThan(before.a);
    // In the mixed day, a range without the non-ASCII block is read with ASCII classes.
    const timeout = parseQuery('timeout');
    for (const [from, to, asciiRead] of [
      [T0 + 3 * DAY, T0 + 3 * DAY + 999, true],
      [T0 + 3 * DAY + 1000, undefined, false],
      [T0 + 3 * DAY, undefined, undefined], // its first statements cannot, a later one may
    ] as const) {
      const reads = a.asciiReads;
      const [x, y] = await Promise.all([
        a.search({ query: timeout, from, to, limit: 13 }),
        b.search({ query: timeout, from, to, limit: 13 }),
      ]);
      expect(x).toEqual(y);
      expect(x.hits.length).toBeGreaterThan(0);
      if (asciiRead !== undefined) expect(a.asciiReads > reads).toBe(asciiRead);
    }
    // The last day of `old` has blocks only, so it is read with ASCII classes; the others are not.
    expect(old.asciiReads).toBeGreaterThan(before.old);
    expect(withF.asciiReads).toBe(before.withF); // its messages are not all ASCII
  }, 400_000);

  it('agree with the scan, before and after retention and a restart', async () => {
    await expectSame(a, b, words);
    expect(a.countsFromBlocks).toBeGreaterThan(0);
    for (const s of [a, b]) await s.applyRetention(T0 + DAY + 7 * 3_600_000_000);
    await expectSame(a, b, words);
    await a.close();
    a = await openStore('ascii-with', true, 256);
    const before = a.countsFromBlocks;

    await expectSame(a, b, words);
    expect(a.countsFromBlocks).toBeGreaterThan(before);

    // Blocks of another FILTER_VERSION are dropped at open; their rows, numbered, must still be read.
    await a.close();
    await onClosedStore('ascii-with', 'UPDATE sawmill_blocks SET v = v + 1');
    a = await openStore('ascii-with', true, 256);
    expect(a.tokenFilterStats(parseQuery('timeout')).blocks).toBe(0);
    // New blocks in the same day, none holding the rare word: the old rows must still be read.
    const filler = Array.from({ length: 600 }, (_, i) =>
      JSON.stringify({
        id: String(7_000_200 + i),
        ts: T0 + 2 * DAY + 5000 + i,
        level: 'info',
        message: `filler ${i}`,
        attrs: {},
      }),
    );
    await loadAll([a, b], filler, 'g');
    expect(a.tokenFilterStats(parseQuery('zanzibarquux')).blocks).toBeGreaterThan(1);
    expect(a.tokenFilterStats(parseQuery('zanzibarquux')).admitted).toBe(0);
    await expectSame(a, b, words);
  }, 400_000);
});
