import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryNode } from '../src/query/ast.js';
import { parseQuery } from '../src/query/parse.js';
import type { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { templateQuery } from '../src/store/duckdb/message-templates.js';
import type { HistogramBucket } from '../src/store/store.js';
import { storedLines } from './store-conformance/cases.js';
import { duckdbFactory } from './store-conformance/factories.js';

/**
 * Histograms and time bounds of a word or phrase from the message templates must be exactly
 * what a scan of every message gives: each query below is also asked wrapped in an AND with
 * match-all, which the templates do not take, so the store scans for it.
 */
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
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

let store: DuckDbStore;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const made = await duckdbFactory();
  store = made.store as DuckDbStore;
  cleanup = made.cleanup;
  // Three days, every message many times at varied times and levels, in several loads (one of
  // them spanning two days, which takes the other load path).
  const candidates: Array<{ message: string; level?: string; timestamp: string; resourceId: string }> = [];
  for (let i = 0; i < 3000; i++) {
    candidates.push({
      message: MESSAGES[(i * 7) % MESSAGES.length]!,
      level: ['info', 'warn', 'error'][i % 3],
      timestamp: new Date(T0 + ((i * 97_531) % (3 * DAY))).toISOString(),
      resourceId: i === 17 ? 'timeout' : `server-${i % 5}`,
    });
  }
  const { lines } = storedLines(candidates, 1000n);
  const byDay = new Map<number, string[]>();
  lines.forEach((l, i) => {
    const d = Math.floor(Date.parse(candidates[i]!.timestamp) / DAY);
    byDay.set(d, [...(byDay.get(d) ?? []), l]);
  });
  const days = [...byDay.values()];
  await store.load({
    parts: [{ key: 'mixed', lines: [...days[0]!.slice(0, 50), ...days[1]!.slice(0, 50)] }],
  });
  for (const [i, d] of days.entries()) {
    const rest = i < 2 ? d.slice(50) : d;
    for (let k = 0; k < rest.length; k += 400) {
      const part = rest.slice(k, k + 400);
      const ts = part.map((l) => JSON.parse(l).ts as number);
      const ids = part.map((l) => BigInt(JSON.parse(l).id as string));
      await store.load({
        parts: [
          {
            key: `d${i}-${k}`,
            lines: part,
            bounds: {
              minTs: Math.min(...ts),
              maxTs: Math.max(...ts),
              firstId: ids[0]!, // a day's lines are in id order
              lastId: ids[ids.length - 1]!,
            },
          },
        ],
      });
    }
  }
}, 60_000);
afterAll(() => cleanup?.());

const scanned = (q: QueryNode): QueryNode => ({ kind: 'and', children: [q, { kind: 'all' }] });
const tidy = (buckets: HistogramBucket[]) => buckets.filter((b) => b.total > 0);

describe('histograms from message templates', () => {
  const queries = [
    '"connection refused"',
    'message:"connection refused"',
    'refused',
    'connection',
    'abc',
    '"user alice logged in"',
    'logged',
    'C++',
    '"crashed: exit"',
    'timeout',
    'failed',
    '"disk full"',
    'ok',
    'value',
    'naïve',
    '"connection refused by 10.0.0.7"',
    // Across a run that holds digits: no match, in the messages or their templates.
    '"value= ok"',
    '"upload- failed"',
    '"by :"',
  ];

  it.each(queries)('%s: the same buckets and bounds as a scan', async (text) => {
    const q = parseQuery(text);
    const from = T0 - 3600_000;
    const to = T0 + 3 * DAY;
    for (const [interval, a, b] of [
      [3600_000_000, from * 1000, to * 1000],
      [600_000_000, (T0 + 123_456) * 1000, (T0 + DAY + 7_777_777) * 1000],
      [86_400_000_000, undefined, undefined],
      [60_000_000, (T0 + 5_000) * 1000, (T0 + 40 * 60_000) * 1000], // not whole grains: a scan
    ] as const) {
      const params = { from: a, to: b, intervalMicros: interval };
      const before = store.templateAnswers;
      const got = await store.histogram({ ...params, query: q });
      const used = store.templateAnswers > before;
      expect(tidy(got), `${text} @ ${interval}`).toEqual(
        tidy(await store.histogram({ ...params, query: scanned(q) })),
      );
      // Digit-free words and phrases over whole grains come from the templates; `timeout` is
      // also a resourceId here, so it needs the scan, as do phrases with digits.
      const eligible = templateQuery(q) !== null && interval % 600_000_000 === 0 && text !== 'timeout';
      expect(used, `${text} @ ${interval} from templates`).toBe(eligible);
    }
    const before = store.templateAnswers;
    expect(await store.timeBounds({ query: q })).toEqual(await store.timeBounds({ query: scanned(q) }));
    expect(store.templateAnswers > before).toBe(templateQuery(q) !== null && text !== 'timeout');
  });

  it('keeps the counts exact through retention that cuts into a grain', async () => {
    const cutoff = (T0 + DAY + 5 * 60_000 + 1234) * 1000;
    await store.applyRetention(cutoff);
    for (const text of ['"connection refused"', 'logged', 'failed']) {
      const q = parseQuery(text);
      const params = { from: cutoff, to: (T0 + 3 * DAY) * 1000, intervalMicros: 3600_000_000 };
      const before = store.templateAnswers;
      expect(tidy(await store.histogram({ ...params, query: q }))).toEqual(
        tidy(await store.histogram({ ...params, query: scanned(q) })),
      );
      expect(store.templateAnswers).toBe(before + 1);
      expect(await store.timeBounds({ query: q })).toEqual(await store.timeBounds({ query: scanned(q) }));
    }
  });
});
