import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/model/limits.js';
import { normaliseRecord, serialiseRecord } from '../../src/model/normalise.js';
import { type OutputRecord, type StoredRecord, toOutputRecord } from '../../src/model/record.js';
import { DOCS_EXAMPLES, DOCS_EXPECTED } from '../../src/query/docs-examples.js';
import { parseQuery } from '../../src/query/parse.js';
import { FIXTURE_ROWS } from '../../src/query/test-fixture.js';
import { QueryTimeoutError } from '../../src/store/errors.js';
import { summariseFields } from '../../src/store/field-summary.js';
import { MAX_BUCKETS } from '../../src/store/interval.js';
import type { Store } from '../../src/store/store.js';

/**
 * The Store contract as executable cases: every store runs exactly these, on the same inputs,
 * and must give the same answers. A factory makes a fresh, opened, empty store each call.
 */
export interface StoreHandle {
  store: Store;
  cleanup(): Promise<void>;
}
export type StoreFactory = (opts?: { queryTimeoutMs?: number }) => Promise<StoreHandle>;

const NOW = Date.now() * 1000;
const HOUR = 3_600_000_000;
const DAY = 24 * HOUR;
const all = parseQuery('*');
const q = (text: string) => parseQuery(text);

/** Records as ingest makes them: the real normaliser and serialiser, ids assigned in order. */
export function storedLines(
  candidates: readonly unknown[],
  firstId: bigint,
): { lines: string[]; records: StoredRecord[] } {
  const lines: string[] = [];
  const records: StoredRecord[] = [];
  candidates.forEach((c, i) => {
    const res = normaliseRecord(c, { limits: DEFAULT_LIMITS, nowMicros: NOW });
    if ('error' in res) throw new Error(`candidate ${i}: ${res.error.message}`);
    res.record.id = String(firstId + BigInt(i));
    const line = serialiseRecord(res.record, DEFAULT_LIMITS);
    if (typeof line !== 'string') throw new Error(line.message);
    lines.push(line);
    records.push(JSON.parse(line) as StoredRecord);
  });
  return { lines, records };
}

/** Newest first by (ts, id), as every store orders results. */
function newestFirst(records: readonly StoredRecord[]): StoredRecord[] {
  return [...records].sort((a, b) => b.ts - a.ts || (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
}

const out = (records: readonly StoredRecord[]) => records.map(toOutputRecord);

/** A store loaded with one dataset, opened once per describe block. */
function withStore(factory: StoreFactory, ready: () => boolean, opts?: { queryTimeoutMs?: number }) {
  let handle: StoreHandle | null = null;
  return {
    async get(): Promise<Store | null> {
      if (!ready()) return null;
      handle ??= await factory(opts);
      return handle.store;
    },
    async cleanup() {
      await handle?.cleanup();
      handle = null;
    },
  };
}

/** ~30 records over three UTC days, with ties on timestamp and records on both sides of midnight. */
function spreadCandidates(): unknown[] {
  const base = Date.UTC(2024, 2, 10, 22, 0, 0) * 1000; // 2024-03-10T22:00Z
  const levels = ['info', 'error', 'warn', 'debug', 'info', 'fatal'];
  const times = [
    0,
    1,
    1,
    1,
    60_000_000,
    90_000_000,
    HOUR,
    HOUR + 1,
    2 * HOUR - 1,
    2 * HOUR,
    2 * HOUR,
    2 * HOUR + 1,
    3 * HOUR,
    5 * HOUR,
    8 * HOUR,
    DAY,
    DAY + 123_456,
    DAY + 2 * HOUR - 1,
    DAY + 2 * HOUR,
    DAY + 2 * HOUR + 7,
    DAY + 10 * HOUR,
    2 * DAY - 5,
    2 * DAY,
    2 * DAY + 1,
    2 * DAY + 59_999_999,
    2 * DAY + 60_000_000,
    2 * DAY + HOUR,
    2 * DAY + 3 * HOUR,
    2 * DAY + 3 * HOUR,
    2 * DAY + 3 * HOUR,
  ];
  return times.map((t, i) => ({
    timestamp: new Date((base + t) / 1000)
      .toISOString()
      .replace('Z', `${String((base + t) % 1000).padStart(3, '0')}Z`),
    level: levels[i % levels.length],
    message: `event ${i} ${i % 3 === 0 ? 'timeout waiting' : 'all good'}`,
    resourceId: `server-${i % 4}`,
    attrs: { n: i, tag: i % 2 === 0 ? 'even' : 'odd' },
  }));
}

/**
 * Loads test-fixture.ts's rows through the real normaliser and `load()` (two loads), with ids
 * 1… as the fixture has them (`id:1` is the reference record). Returns fixture name by id.
 */
export async function loadFixture(store: Store): Promise<Map<string, string>> {
  const candidates = FIXTURE_ROWS.map((r) => ({
    timestamp: r.ts,
    level: r.level,
    message: r.message,
    resourceId: r.resourceId,
    traceId: r.traceId,
    spanId: r.spanId,
    commit: r.commit,
    ...r.attrs,
  }));
  const { lines } = storedLines(candidates, 1n);
  await store.load({ parts: [{ key: 'fixture-1', lines: lines.slice(0, 8) }] });
  await store.load({ parts: [{ key: 'fixture-2', lines: lines.slice(8) }] });
  return new Map(FIXTURE_ROWS.map((r, i) => [String(i + 1), r.name]));
}

export function storeConformance(name: string, factory: StoreFactory, ready: () => boolean): void {
  describe(`${name}: query language (docs/query-language.md on the fixture rows)`, () => {
    const s = withStore(factory, ready);
    let byId: Map<string, string> | null = null;
    const store = async () => {
      const st = await s.get();
      if (st && !byId) byId = await loadFixture(st);
      return st;
    };
    afterAll(() => s.cleanup());

    it.for(DOCS_EXAMPLES)('%s', async (query, t) => {
      const st = await store();
      if (!st) return t.skip();
      const res = await st.search({ query: q(query), limit: 100 });
      const names = res.hits.map((h) => byId!.get(h.id)!).sort();
      expect(names).toEqual(DOCS_EXPECTED[query]);
      expect(res.total).toBe(names.length);
      expect(await st.count({ query: q(query) })).toBe(names.length);
    });

    it.for([
      ['traceId:0af7651916cd43dd8448eb211c80319c', ['w3c']],
      ['spanId:00f067aa0ba902b7', ['w3c']],
      ['traceId:0AF7651916CD43DD8448EB211C80319C', ['w3cupper']],
      ['spanId:00F067AA0BA902B7', ['w3cupper']],
      ['traceId:/^0af7/', ['w3c']],
      ['traceId:0af765*', ['w3c']],
      ['café', ['unicode']],
      ['caf', []],
      ['ошибка', ['unicode']],
      ['"[OK]"', ['punct']],
      ['C++', ['nokeys']],
      ['message:*ed', ['connect', 'nokeys', 'otel', 'ref', 'refused', 'spaces', 'w3c', 'w3cupper']],
      ['message:/\\btimeout\\b/i', ['ids', 'timeout', 'upper']],
      ['message:/(?P<w>conn)ect/', ['connect', 'ref', 'refused', 'spaces']],
      ['message:/\\pL+é/', ['unicode']],
      ['a.b:nested', ['keys']],
      ['a.b:dotted', ['keys']],
      ['x\\"y:double', ['keys']],
      ['http.status:502.0', ['refused']],
      ['http.status:>=500', ['refused', 'timeout']],
      ['http.status:50?', ['refused', 'timeout']],
      ['user.id:42', ['nokeys']],
      ['id:18446744073709551615', []],
      ['timestamp:/^2023-09-15T08/', ['ref']],
      [
        '-commit:*',
        [
          'connect',
          'ids',
          'keys',
          'nokeys',
          'notice',
          'otel',
          'punct',
          'refused',
          'timeout',
          'timeouts',
          'unicode',
          'upper',
          'w3c',
          'w3cupper',
        ],
      ],
    ] as const)('%s', async ([query, expected], t) => {
      const st = await store();
      if (!st) return t.skip();
      const res = await st.search({ query: q(query), limit: 100 });
      expect(res.hits.map((h) => byId!.get(h.id)!).sort()).toEqual(expected);
    });
  });

  describe(`${name}: records read back as stored`, () => {
    const s = withStore(factory, ready);
    afterAll(() => s.cleanup());

    it('returns every field, nested attrs, unicode, odd keys and ids exactly as sent', async (t) => {
      const st = await s.get();
      if (!st) return t.skip();
      const candidates = [
        {
          timestamp: '2024-05-01T12:00:00.123456Z',
          level: 'warn',
          message: 'back\\slash \\n literal, tab\there, newline\nand CR\r, \\\\ double, quote " \' end',
          resourceId: 'res\\1\ttab',
          traceId: '00000000000000000000000000000001',
          spanId: '0000000000000001',
          commit: 'deadbee',
          nested: { deep: { deeper: { value: [1, 'two', { three: 3 }, null, true] } }, empty: {} },
          'odd key': { 'with.dot': 1, 'a"quote': 'x', 'back\\slash': 'y', 'tab\tkey': 'z', '': 'empty key' },
          unicode: 'Ошибка 😀 café',
          numbers: { int: 42, neg: -7, float: 3.25, big: 12345678901234567000, exp: 1e-7, zero: 0 },
          flag: false,
          nothing: null,
          _id: 'client-id',
        },
        {
          timestamp: '2024-05-01T12:00:00.000001Z',
          message: 'upper ids',
          traceId: '4BF92F3577B34DA6A3CE929D0E0E4736',
          spanId: '00F067AA0BA902B7',
        },
        {
          timestamp: '2024-05-01T12:00:00Z',
          message: 'w3c with zeros',
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: '00f067aa0ba902b7',
        },
        { timestamp: 1714564800, message: 'no level, epoch seconds', level: 'notice' },
        { message: 'x', level: 'error', traceId: 'not-hex', spanId: 'short' },
        // The top bit set: a span id above 2^63 (stored as a negative 64-bit integer, or not).
        {
          timestamp: '2024-05-01T11:00:00Z',
          message: 'high bits',
          traceId: 'ffffffffffffffffffffffffffffffff',
          spanId: '8000000000000000',
        },
        {
          timestamp: '2024-05-01T11:00:01Z',
          message: 'all ones',
          traceId: '80000000000000000000000000000000',
          spanId: 'ffffffffffffffff',
        },
      ];
      const { lines, records } = storedLines(candidates, 1000n);
      const res = await st.load({ parts: [{ key: 'roundtrip', lines }] });
      expect(res.inserted).toBe(candidates.length);
      const page = await st.search({ query: all, limit: 100 });
      expect(page.hits).toEqual(out(newestFirst(records)));
      // Reserved fields in the same form, timestamps with their microseconds.
      const first = page.hits.find((h) => h.id === '1000')!;
      expect(first.timestamp).toBe('2024-05-01T12:00:00.123456Z');
      expect(first.message).toBe(candidates[0]!.message);
      expect(first.traceId).toBe('00000000000000000000000000000001');
      expect(page.hits.find((h) => h.id === '1001')!.traceId).toBe('4BF92F3577B34DA6A3CE929D0E0E4736');
      // Searches find them by the stored values.
      const find = async (query: string) =>
        (await st.search({ query: q(query), limit: 10 })).hits.map((h) => h.id);
      expect(await find('traceId:00000000000000000000000000000001')).toEqual(['1000']);
      expect(await find('traceId:4BF92F3577B34DA6A3CE929D0E0E4736')).toEqual(['1001']);
      expect(await find('traceId:4bf92f3577b34da6a3ce929d0e0e4736')).toEqual([]);
      expect(await find('resourceId:"res\\\\1\ttab"')).toEqual(['1000']);
      expect(await find('"newline and"')).toEqual(['1000']);
      expect(await find('nested.deep.deeper.value:*')).toEqual(['1000']);
      expect(await find('nothing:*')).toEqual(['1000']);
      expect(await find('numbers.float:>3')).toEqual(['1000']);
      expect(await find('level:notice')).toEqual(['1003']);
      expect(await find('spanId:8000000000000000')).toEqual(['1005']);
      expect(await find('spanId:ffffffffffffffff')).toEqual(['1006']);
      expect(await find('traceId:ffffffffffffffffffffffffffffffff')).toEqual(['1005']);
      expect(await find('spanId:/^8000/')).toEqual(['1005']);
      expect(await find('spanId:0000000000000001 OR spanId:short')).toEqual(['1004', '1000']); // newest first
    });
  });

  describe(`${name}: ids of different lengths`, () => {
    const s = withStore(factory, ready);
    afterAll(() => s.cleanup());

    it('order numerically, not as text, in search, cursors, context and since', async (t) => {
      const st = await s.get();
      if (!st) return t.skip();
      const same = { timestamp: '2024-04-01T00:00:00Z', message: 'tie' };
      const { lines: a } = storedLines([same, same], 9n); // 9, 10
      const { lines: b } = storedLines([same, same, { ...same, timestamp: '2024-04-01T00:00:01Z' }], 99n); // 99, 100, 101
      await st.load({
        parts: [
          { key: 'a', lines: a },
          { key: 'b', lines: b },
        ],
      });
      const ids = async (cursor?: { ts: number; id: string }) => {
        const page = await st.search({ query: all, limit: 2, cursor });
        return { ids: page.hits.map((h) => h.id), next: page.next };
      };
      const first = await ids();
      expect(first.ids).toEqual(['101', '100']);
      const second = await ids(first.next!);
      expect(second.ids).toEqual(['99', '10']);
      expect((await ids(second.next!)).ids).toEqual(['9']);
      expect((await st.since(all, '9', 10)).map((r) => r.id)).toEqual(['10', '99', '100', '101']);
      const ctx = await st.context('99', 5, 5);
      expect(ctx!.before.map((r) => r.id)).toEqual(['9', '10']);
      expect(ctx!.after.map((r) => r.id)).toEqual(['100', '101']);
      expect(await st.maxId()).toBe(101n);
    });
  });

  describe(`${name}: order, paging, totals, histogram, fields, context, since, export`, () => {
    const s = withStore(factory, ready);
    let records: StoredRecord[] = [];
    const store = async () => {
      const st = await s.get();
      if (st && records.length === 0) {
        const { lines, records: rs } = storedLines(spreadCandidates(), 5000n);
        // Three loads, not in time order (a late batch holds the oldest records).
        await st.load({ parts: [{ key: 's-2', lines: lines.slice(10, 20) }] });
        await st.load({ parts: [{ key: 's-3', lines: lines.slice(20) }] });
        await st.load({ parts: [{ key: 's-1', lines: lines.slice(0, 10) }] });
        records = rs;
      }
      return st;
    };
    afterAll(() => s.cleanup());

    it('pages newest first by (timestamp, id) across day boundaries, each page with the total', async (t) => {
      const st = await store();
      if (!st) return t.skip();
      const expected = out(newestFirst(records));
      const seen: OutputRecord[] = [];
      let cursor: { ts: number; id: string } | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await st.search({ query: all, limit: 7, cursor });
        expect(page.total).toBe(records.length);
        seen.push(...page.hits);
        if (!page.next) break;
        cursor = page.next;
      }
      expect(seen).toEqual(expected);
      const filtered = await st.search({ query: q('timeout'), limit: 4 });
      const timeouts = expected.filter((r) => r.message.includes('timeout'));
      expect(filtered.hits).toEqual(timeouts.slice(0, 4));
      expect(filtered.total).toBe(timeouts.length);
      const rest = await st.search({
        query: q('timeout'),
        limit: 100,
        cursor: filtered.next!,
        withTotal: false,
      });
      expect(rest.hits).toEqual(timeouts.slice(4));
      expect(rest.total).toBeNull();
      expect(rest.next).toBeNull();
    });

    it('bounds searches, counts and time bounds by from/to (inclusive) and by timestamp ranges', async (t) => {
      const st = await store();
      if (!st) return t.skip();
      const sorted = newestFirst(records);
      const from = sorted[20]!.ts;
      const to = sorted[5]!.ts;
      const inRange = sorted.filter((r) => r.ts >= from && r.ts <= to);
      const page = await st.search({ query: all, from, to, limit: 100 });
      expect(page.hits).toEqual(out(inRange));
      expect(page.total).toBe(inRange.length);
      expect(await st.count({ query: all, from, to })).toBe(inRange.length);
      expect(await st.count({ query: q('level:error'), from, to })).toBe(
        inRange.filter((r) => r.level === 'error').length,
      );
      expect(await st.count({ query: all })).toBe(records.length);
      const warnUp = (r: StoredRecord) => ['warn', 'error', 'fatal'].includes(r.level);
      expect(await st.count({ query: q('level:>=warn'), from: from + 1, to: to - 1 })).toBe(
        inRange.filter((r) => warnUp(r) && r.ts > from && r.ts < to).length,
      );
      expect(await st.count({ query: q('-level:debug AND level:*') })).toBe(
        records.filter((r) => r.level !== 'debug').length,
      );
      expect(await st.timeBounds({ query: all })).toEqual({
        from: sorted[sorted.length - 1]!.ts,
        to: sorted[0]!.ts,
      });
      const errors = sorted.filter((r) => r.level === 'error');
      expect(await st.timeBounds({ query: q('level:error') })).toEqual({
        from: errors[errors.length - 1]!.ts,
        to: errors[0]!.ts,
      });
      expect(await st.timeBounds({ query: q('nosuchword') })).toBeNull();
      expect(await st.timeBounds({ query: all, from: 0, to: 1000 })).toBeNull();
      const iso = (us: number) => toOutputRecord({ ...sorted[0]!, ts: us }).timestamp;
      const ranged = await st.search({ query: q(`timestamp:[${iso(from)} TO ${iso(to)}]`), limit: 100 });
      expect(ranged.hits).toEqual(out(inRange));
    });

    it.for([
      ['*', HOUR, undefined, undefined],
      ['*', 60_000_000, undefined, undefined],
      ['*', DAY, undefined, undefined],
      ['*', 7 * 60_000_000, 'mid', 'mid'],
      ['*', 1_000_000, 'mid', 'mid'],
      ['level:error OR level:info', HOUR, undefined, undefined],
      ['level:>=warn', 60_000_000, 'mid', 'mid'],
      ['-level:debug', HOUR, 'mid', undefined],
      ['level:error AND level:info', HOUR, undefined, undefined],
      ['level:(fatal OR warn) AND timestamp:>=2024-03-11T00:00:00Z', 10 * 60_000_000, undefined, 'mid'],
      ['level:error AND NOT timeout', HOUR, undefined, undefined],
      ['timeout', 30 * 60_000_000, 'mid', undefined],
    ] as const)('histogram of %s by %d µs (from %s, to %s)', async ([query, step, fromAt, toAt], t) => {
      const st = await store();
      if (!st) return t.skip();
      const sorted = newestFirst(records);
      const from = fromAt ? sorted[25]!.ts + 17 : undefined; // mid-minute edges
      const to = toAt ? sorted[3]!.ts - 3 : undefined;
      const node = q(query);
      const matching = (await st.search({ query: node, limit: 1000, from, to })).hits;
      // A range too wide for MAX_BUCKETS buckets widens the interval (the contract of histogram).
      const interval =
        from !== undefined && to !== undefined
          ? Math.max(step, Math.ceil((to - from + 1) / MAX_BUCKETS))
          : step;
      const expected = new Map<number, { ts: number; counts: Record<string, number>; total: number }>();
      for (const r of matching) {
        const us = records.find((x) => x.id === r.id)!.ts;
        const b = Math.floor(us / interval) * interval;
        const e = expected.get(b) ?? { ts: b, counts: {}, total: 0 };
        e.counts[r.level] = (e.counts[r.level] ?? 0) + 1;
        e.total++;
        expected.set(b, e);
      }
      const buckets = await st.histogram({ query: node, intervalMicros: step, from, to });
      expect(buckets).toEqual([...expected.values()].sort((a, b) => a.ts - b.ts));
      expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(matching.length);
    });

    it('summarises fields of the newest matching records', async (t) => {
      const st = await store();
      if (!st) return t.skip();
      const sample = out(newestFirst(records).filter((r) => r.level !== 'debug')).slice(0, 12);
      expect(await st.fields({ query: q('-level:debug'), sample: 12, top: 3 })).toEqual(
        summariseFields(sample, 3),
      );
    });

    it('returns context around a record, across a day boundary', async (t) => {
      const st = await store();
      if (!st) return t.skip();
      const asc = newestFirst(records).reverse();
      const i = asc.findIndex((r) => r.ts === Date.UTC(2024, 2, 11) * 1000 - 1);
      const anchor = asc[i]!;
      const ctx = await st.context(anchor.id, 3, 4);
      expect(ctx).toEqual({
        anchor: toOutputRecord(anchor),
        before: out(asc.slice(i - 3, i)),
        after: out(asc.slice(i + 1, i + 5)),
      });
      const edge = await st.context(asc[0]!.id, 5, 0);
      expect(edge).toEqual({ anchor: toOutputRecord(asc[0]!), before: [], after: [] });
      expect(await st.context('999999', 2, 2)).toBeNull();
      expect(await st.context('not-an-id', 2, 2)).toBeNull();
    });

    it('returns context within a filter (a role filter): neighbours and anchor must match it', async (t) => {
      const st = await store();
      if (!st) return t.skip();
      const within = q('-level:debug');
      const asc = newestFirst(records).reverse();
      const kept = asc.filter((r) => r.level !== 'debug');
      const i = Math.floor(kept.length / 2);
      const ctx = await st.context(kept[i]!.id, 3, 4, within);
      expect(ctx).toEqual({
        anchor: toOutputRecord(kept[i]!),
        before: out(kept.slice(i - 3, i)),
        after: out(kept.slice(i + 1, i + 5)),
      });
      const outside = asc.find((r) => r.level === 'debug')!;
      expect(await st.context(outside.id, 2, 2, within)).toBeNull();
      expect(await st.context(outside.id, 0, 0)).not.toBeNull();
    });

    it('since: matching records after an id, in id order, optionally up to an id', async (t) => {
      const st = await store();
      if (!st) return t.skip();
      const byId = [...records].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      expect(await st.since(all, '5004', 5)).toEqual(out(byId.slice(5, 10)));
      expect(await st.since(all, '0', 1000)).toEqual(out(byId));
      expect(await st.since(all, '5010', 100, '5014')).toEqual(out(byId.slice(11, 15)));
      const timeouts = byId.filter(
        (r) => r.message.includes('timeout') && BigInt(r.id) > 5003n && BigInt(r.id) <= 5020n,
      );
      expect(await st.since(q('timeout'), '5003', 100, '5020')).toEqual(out(timeouts));
      expect(await st.since(all, '5029', 10)).toEqual([]);
      expect(await st.maxId()).toBe(5029n);
    });

    it('exports every match newest first', async (t) => {
      const st = await store();
      if (!st) return t.skip();
      const got: OutputRecord[] = [];
      for await (const r of st.export({ query: q('-level:fatal') })) got.push(r);
      expect(got).toEqual(out(newestFirst(records).filter((r) => r.level !== 'fatal')));
      const stats = await st.stats();
      expect(stats.records).toBe(records.length);
      expect(stats.partitions).toBeGreaterThanOrEqual(3);
      expect(stats.bytesOnDisk).toBeGreaterThan(0);
    });
  });

  describe(`${name}: exactly-once loading`, () => {
    const s = withStore(factory, ready);
    afterAll(() => s.cleanup());

    it('applies a key once: redelivered alone, beside a new key, or concurrently', async (t) => {
      const st = await s.get();
      if (!st) return t.skip();
      const make = (n: number, first: bigint, day: number) =>
        storedLines(
          Array.from({ length: n }, (_, i) => ({
            timestamp: new Date(Date.UTC(2024, 0, day, 10, 0, i)).toISOString(),
            message: `part record ${i}`,
          })),
          first,
        ).lines;
      const a = make(5, 100n, 1);
      const b = make(3, 200n, 2);
      const c = make(4, 300n, 3);
      const d = make(2, 400n, 3);
      expect(await st.load({ parts: [{ key: 'A', lines: a }] })).toEqual({ inserted: 5, appliedKeys: ['A'] });
      expect(await st.load({ parts: [{ key: 'A', lines: a }] })).toEqual({ inserted: 0, appliedKeys: [] });
      expect(
        await st.load({
          parts: [
            { key: 'A', lines: a },
            { key: 'B', lines: b },
          ],
        }),
      ).toEqual({
        inserted: 3,
        appliedKeys: ['B'],
      });
      const results = await Promise.all([
        st.load({ parts: [{ key: 'C', lines: c }] }),
        st.load({ parts: [{ key: 'C', lines: c }] }),
        st.load({
          parts: [
            { key: 'C', lines: c },
            { key: 'D', lines: d },
          ],
        }),
      ]);
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(6);
      expect(results.flatMap((r) => r.appliedKeys).sort()).toEqual(['C', 'D']);
      // A part read from a file (a spool segment) and an empty part.
      const dir = await mkdtemp(path.join(tmpdir(), 'sawmill-conf-'));
      try {
        const file = path.join(dir, 'segment.ndjson');
        await writeFile(file, `${make(2, 500n, 4).join('\n')}\n`);
        expect(
          await st.load({
            parts: [
              { key: 'E', file },
              { key: 'F', lines: [] },
            ],
          }),
        ).toEqual({
          inserted: 2,
          appliedKeys: ['E', 'F'],
        });
        expect(await st.load({ parts: [{ key: 'E', file }] })).toEqual({ inserted: 0, appliedKeys: [] });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      expect(await st.count({ query: all })).toBe(5 + 3 + 4 + 2 + 2);
      expect((await st.search({ query: all, limit: 100 })).total).toBe(16);
      expect(await st.maxId()).toBe(501n);
    });
  });

  describe(`${name}: retention`, () => {
    const s = withStore(factory, ready);
    afterAll(() => s.cleanup());

    it('removes exactly the records older than the cutoff, whole days and the boundary day', async (t) => {
      const st = await s.get();
      if (!st) return t.skip();
      const start = Date.UTC(2024, 6, 1) * 1000;
      const candidates = Array.from({ length: 40 }, (_, i) => ({
        timestamp: new Date((start + i * 2.5 * HOUR) / 1000).toISOString(),
        level: i % 2 ? 'info' : 'error',
        message: `r${i}`,
      }));
      const { lines, records } = storedLines(candidates, 1n);
      await st.load({ parts: [{ key: 'ret', lines }] });
      const cutoff = start + 2 * DAY + 7 * HOUR + 30_000_000; // mid-minute on the third day
      const old = records.filter((r) => r.ts < cutoff);
      expect(await st.applyRetention(cutoff)).toBe(old.length);
      const kept = newestFirst(records.filter((r) => r.ts >= cutoff));
      const page = await st.search({ query: all, limit: 100 });
      expect(page.hits).toEqual(out(kept));
      expect(page.total).toBe(kept.length);
      expect(await st.count({ query: all })).toBe(kept.length);
      const hist = await st.histogram({ query: all, intervalMicros: DAY });
      expect(hist.reduce((n, b) => n + b.total, 0)).toBe(kept.length);
      expect((await st.stats()).records).toBe(kept.length);
      expect(await st.applyRetention(cutoff)).toBe(0);
    });
  });

  describe(`${name}: query timeout`, () => {
    const s = withStore(factory, ready, { queryTimeoutMs: 20 });
    afterAll(() => s.cleanup());

    // ~140 ms of regex work on DuckDB, more on PostgreSQL, against a 20 ms deadline. (A deadline
    // shorter than the time a query takes to start is missed by DuckDB's interrupt.)
    it('stops a query past its deadline with QueryTimeoutError', async (t) => {
      const st = await s.get();
      if (!st) return t.skip();
      const text = 'lorem ipsum dolor sit amet '.repeat(40);
      for (let part = 0; part < 4; part++) {
        const { lines } = storedLines(
          Array.from({ length: 5000 }, (_, i) => ({
            timestamp: new Date(Date.UTC(2024, 1, 1) + part * 5000 + i).toISOString(),
            message: `${text}${i}`,
          })),
          BigInt(1 + part * 5000),
        );
        await st.load({ parts: [{ key: `slow-${part}`, lines }] });
      }
      const err = await st
        .count({ query: q('message:/(lorem|ipsum|dolor)+ [0-9]+[a-z]/i') })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueryTimeoutError);
    });
  });
}
