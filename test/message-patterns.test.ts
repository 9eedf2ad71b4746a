import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryNode } from '../src/query/ast.js';
import { parseQuery } from '../src/query/parse.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { patternQuery } from '../src/store/duckdb/message-patterns.js';
import type { HistogramBucket } from '../src/store/store.js';
import { storedLines } from './store-conformance/cases.js';

/**
 * Histograms, counts and time bounds of a word or phrase over closed days come from the days'
 * message-pattern counts (store/duckdb/message-patterns.ts). They must be exactly what a scan
 * of every message gives: every answer below is compared with a second store holding the same
 * records with patterns off, through loads into counted days, a restart and retention.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2); // closed days: before the tests run
const GRAIN = 600_000_000;
const MESSAGES = [
  'connection refused by 10.0.0.7:5432',
  'Connection REFUSED (retry 3)',
  'connection  refused',
  'disconnection refused by peer',
  'abc123 connection refused',
  'connection123 refused',
  'user alice logged in after 250 ms',
  'user bob logged in',
  'C++ compiler crashed: exit 139',
  'naïve café timeout at step 4',
  'timeout',
  'timeouts while waiting 3s',
  'upload-42 failed: disk full',
  'payment 9f3a2c failed',
  'value=42 ok',
];

let dir: string;
let on: DuckDbStore;
let off: DuckDbStore;
let nextId = 1000n;

async function open(sub: string, messagePatterns: boolean, patternQuietMs = 0): Promise<DuckDbStore> {
  const s = new DuckDbStore({
    dir: path.join(dir, sub),
    queryTimeoutMs: 30_000,
    messagePatterns,
    patternQuietMs,
    dayResultsCost: 0, // every answer counted afresh, from patterns or rows
  });
  await s.open();
  return s;
}

/** `n` records from `start` over `days` days, every message at varied times and levels. */
function candidates(n: number, start: number, days: number, salt = 0) {
  return Array.from({ length: n }, (_, i) => ({
    message: MESSAGES[(i * 7 + salt) % MESSAGES.length]!,
    level: ['info', 'warn', 'error'][(i + salt) % 3],
    timestamp: new Date(start + ((i * 97_531 + salt * 13) % (days * DAY))).toISOString(),
    // `timeout` is also a resource: a bare `timeout` matches that record by its keyword field.
    resourceId: i === 17 && salt === 0 ? 'timeout' : `server-${i % 5}`,
  }));
}

/** The same records into both stores, one load per day (and one spanning two days). */
async function loadBoth(cs: ReturnType<typeof candidates>, key: string): Promise<void> {
  const { lines } = storedLines(cs, nextId);
  nextId += BigInt(cs.length);
  for (const s of [on, off]) await s.load({ parts: [{ key, lines }] });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-patterns-'));
  on = await open('on', true);
  off = await open('off', false);
  await loadBoth(candidates(3000, T0, 3), 'three-days');
  expect(await on.countPatterns()).toBe(3);
}, 60_000);
afterAll(async () => {
  await on?.close();
  await off?.close();
  await rm(dir, { recursive: true, force: true });
});

const tidy = (buckets: HistogramBucket[]) => buckets.filter((b) => b.total > 0);

/** How many days `on` answers the all-time hourly histogram of `text` for from their patterns. */
async function daysFromPatterns(text: string): Promise<number> {
  const before = on.patternAnswers;
  await on.histogram({ query: parseQuery(text), intervalMicros: 3600_000_000 });
  return on.patternAnswers - before;
}

/** Every counting answer of `text` over a range, from both stores; whether `on` used patterns. */
async function compare(text: string, range: { from?: number; to?: number }, intervalMicros: number) {
  const query = parseQuery(text);
  const before = on.patternAnswers;
  const hist = { ...range, intervalMicros };
  expect(tidy(await on.histogram({ ...hist, query })), `${text} histogram`).toEqual(
    tidy(await off.histogram({ ...hist, query })),
  );
  const usedByHistogram = on.patternAnswers > before;
  expect(await on.count({ ...range, query }), `${text} count`).toBe(await off.count({ ...range, query }));
  expect(await on.timeBounds({ ...range, query }), `${text} bounds`).toEqual(
    await off.timeBounds({ ...range, query }),
  );
  const page = await on.search({ ...range, query, limit: 5 });
  expect(page.total, `${text} total`).toBe((await off.search({ ...range, query, limit: 5 })).total);
  return usedByHistogram;
}

const QUERIES = [
  '"connection refused"',
  'message:"connection refused"',
  'refused',
  'connection',
  'abc',
  '"user alice logged in"',
  'logged AND level:warn',
  'level:>=warn AND "logged in"',
  'C++',
  '"crashed: exit"',
  'timeout', // also a resourceId: the keyword match comes from the rows
  'failed',
  '"disk full"',
  'value',
  'naïve', // not ASCII: scanned
  '"connection refused by 10.0.0.7"', // digits: scanned
  // Across a run that holds digits: no match, in the messages or their patterns.
  '"value= ok"',
  '"upload- failed"',
  '"by :"',
];

describe('answers from message patterns', () => {
  it.each(QUERIES)('%s: the same histograms, counts, bounds and totals as a scan', async (text) => {
    const eligible = patternQuery(parseQuery(text)) !== null;
    const all = await compare(text, {}, 3600_000_000);
    expect(all, 'all time, hourly').toBe(eligible);
    const whole = await compare(text, { from: (T0 - 3600_000) * 1000, to: (T0 + 3 * DAY) * 1000 }, GRAIN);
    expect(whole, 'whole days, 10-minute buckets').toBe(eligible);
    // A range that cuts both days it touches, and buckets finer than the counts: scanned.
    const cut = await compare(
      text,
      { from: (T0 + 123_456) * 1000, to: (T0 + DAY + 7_777_777) * 1000 },
      GRAIN,
    );
    expect(cut).toBe(false);
    expect(await compare(text, {}, MINUTE * 1000)).toBe(false);
  });

  it('takes words and phrases without digits, alone or with level and time filters', () => {
    const takes = (q: string) => patternQuery(parseQuery(q)) !== null;
    for (const q of ['refused', '"connection refused"', 'message:refused', 'refused AND level:error']) {
      expect(takes(q), q).toBe(true);
    }
    expect(takes('refused AND timestamp:>2026-01-01')).toBe(true);
    for (const q of [
      'port 5432',
      '"retry 3"',
      'refused OR timeout',
      'refused AND timeout',
      'resourceId:x',
      'conn*',
      '-refused',
      'naïve',
      'refused AND resourceId:server-1',
    ]) {
      expect(takes(q), q).toBe(false);
    }
    const residual = patternQuery(parseQuery('refused')) as { residual: QueryNode | null };
    expect(residual.residual).not.toBeNull();
    expect(patternQuery(parseQuery('message:refused'))!.residual).toBeNull();
  });

  it('stops using a day a load writes to until it is counted again, exact meanwhile', async () => {
    await loadBoth(candidates(200, T0 + DAY, 1, 1), 'late-into-day-1');
    expect(await compare('"connection refused"', {}, 3600_000_000)).toBe(true);
    expect(await daysFromPatterns('"connection refused"')).toBe(2); // day 1 is read from its rows
    expect(on.patternStats()).toMatchObject({ counted: 2, waiting: 1 });
    expect(await on.countPatterns()).toBe(1);
    expect(await compare('"connection refused"', {}, 3600_000_000)).toBe(true);
    expect(await daysFromPatterns('"connection refused"')).toBe(3);
  });

  it('keeps no count of a day a load wrote to while it was being counted', async () => {
    await loadBoth(candidates(40, T0 + DAY + 3600_000, 0.1, 4), 'day-1-again');
    expect(on.patternStats()).toMatchObject({ waiting: 1 });
    // The load commits while the count reads (or just after it kept its counts): either way
    // day 1 is not counted at the generation it ends at.
    const counting = on.countPatterns();
    await loadBoth(candidates(40, T0 + DAY + 7200_000, 0.1, 5), 'day-1-during-count');
    await counting;
    expect(on.patternStats()).toMatchObject({ waiting: 1 });
    expect(await compare('"connection refused"', {}, 3600_000_000)).toBe(true);
    expect(await daysFromPatterns('"connection refused"')).toBe(2);
    expect(await on.countPatterns()).toBe(1);
  });

  it('keeps counted days across a restart, but not a day written to after it was counted', async () => {
    await loadBoth(candidates(50, T0 + 2 * DAY + 3 * 3600_000, 0.1, 2), 'late-into-day-2');
    await on.close();
    on = await open('on', true);
    expect(on.patternStats()).toMatchObject({ counted: 2, waiting: 1 });
    expect(await compare('failed', {}, 3600_000_000)).toBe(true);
    expect(await daysFromPatterns('failed')).toBe(2);
    expect(await on.countPatterns()).toBe(1);
    expect(await daysFromPatterns('failed')).toBe(3);
  });

  it('keeps the counts through a start with patterns off, which still forgets the days it writes to', async () => {
    await on.close();
    on = await open('on', false);
    expect(on.patternStats()).toBeNull();
    await loadBoth(candidates(30, T0 + 5 * 3600_000, 0.1, 3), 'late-into-day-0-while-off');
    await on.close();
    on = await open('on', true);
    expect(on.patternStats()).toMatchObject({ counted: 2, waiting: 1 });
    expect(await compare('"connection refused"', {}, 3600_000_000)).toBe(true);
    expect(await daysFromPatterns('"connection refused"')).toBe(2);
    expect(await on.countPatterns()).toBe(1);
  });

  it('stays exact through retention that drops a day and cuts into the next', async () => {
    const cutoff = (T0 + DAY + 5 * MINUTE + 1234) * 1000;
    expect(await on.applyRetention(cutoff)).toBe(await off.applyRetention(cutoff));
    expect(on.patternStats()).toMatchObject({ counted: 1, waiting: 1 });
    for (const text of ['"connection refused"', 'logged', 'timeout']) {
      expect(await compare(text, {}, 3600_000_000)).toBe(true);
    }
    await on.countPatterns();
    for (const text of ['"connection refused"', 'logged']) expect(await compare(text, {}, GRAIN)).toBe(true);
  });
});

describe('pattern text', () => {
  it('is matched with ASCII word classes while every pattern is ASCII, with the same answers', async () => {
    const ascii = await open('ascii-on', true);
    const plain = await open('ascii-off', false);
    const asciiOnly = () => (ascii as unknown as { patterns: { asciiOnly: boolean } }).patterns.asciiOnly;
    try {
      const rows = candidates(1500, T0, 2).filter((c) =>
        [...c.message].every((ch) => ch.charCodeAt(0) < 128),
      );
      const { lines } = storedLines(rows, 50_000n);
      for (const s of [ascii, plain]) await s.load({ parts: [{ key: 'ascii', lines }] });
      expect(await ascii.countPatterns()).toBe(2);
      expect(asciiOnly()).toBe(true);
      for (const text of ['"connection refused"', 'timeout', 'C++', 'logged AND level:warn']) {
        const query = parseQuery(text);
        const before = ascii.patternAnswers;
        const hist = { query, intervalMicros: 3600_000_000 };
        expect(tidy(await ascii.histogram(hist)), text).toEqual(tidy(await plain.histogram(hist)));
        expect(ascii.patternAnswers - before).toBe(2);
        expect(await ascii.count({ query }), text).toBe(await plain.count({ query }));
      }
      // A day with other text turns it off before that day's counts are used.
      const { lines: more } = storedLines(
        [
          { message: 'naïve café refused', timestamp: new Date(T0 + 3 * DAY).toISOString() },
          // A word character to Unicode, not to ASCII: `refused` is not a word of this one.
          { message: 'blocked érefused', timestamp: new Date(T0 + 3 * DAY + 1000).toISOString() },
        ],
        60_000n,
      );
      for (const s of [ascii, plain]) await s.load({ parts: [{ key: 'unicode', lines: more }] });
      expect(await ascii.countPatterns()).toBe(1);
      expect(asciiOnly()).toBe(false);
      const hist = { query: parseQuery('refused'), intervalMicros: 3600_000_000 };
      expect(tidy(await ascii.histogram(hist))).toEqual(tidy(await plain.histogram(hist)));
    } finally {
      await ascii.close();
      await plain.close();
    }
  });
});

describe('which days are counted', () => {
  it('counts closed days in the background once they are quiet; not today, not a day of unrepeated messages', async () => {
    const s = await open('background', true, 300);
    try {
      // A different word in every message, without digits: base-26 in letters.
      const letters = (n: number): string =>
        (n < 26 ? '' : letters(Math.floor(n / 26))) + String.fromCharCode(97 + (n % 26));
      const varied = Array.from({ length: 3000 }, (_, i) => ({
        message: `session ${letters(i * 7919 + 100_000)} opened by ${letters(i * 104_729 + 50_000)}`,
        timestamp: new Date(T0 + 5 * DAY + i * 1000).toISOString(),
      }));
      const today = candidates(100, Date.now() - 60_000, 60_000 / DAY);
      const { lines } = storedLines([...candidates(1000, T0, 1), ...varied, ...today], 10_000n);
      await s.load({ parts: [{ key: 'mixed', lines }] });
      const deadline = Date.now() + 20_000;
      while (s.patternStats()!.counted < 1 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      // The day of repeated messages is counted; the one of unrepeated ones is left to scans
      // (not waiting either), and today is not closed.
      expect(s.patternStats()).toMatchObject({ counted: 1, waiting: 0 });
      const before = s.patternAnswers;
      await s.histogram({ query: parseQuery('refused'), intervalMicros: 3600_000_000 });
      expect(s.patternAnswers - before).toBe(1);
    } finally {
      await s.close();
    }
  });
});
