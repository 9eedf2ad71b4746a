import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributePromoter } from '../src/ingest/attribute-columns.js';
import { DEFAULT_LIMITS } from '../src/model/limits.js';
import { normaliseRecord, serialiseRecord } from '../src/model/normalise.js';
import type { StoredRecord } from '../src/model/record.js';
import { parseQuery } from '../src/query/parse.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';

/**
 * Frequent string attributes move into columns of their own. Whatever moved where, queries
 * find the same records and every record reads back with the fields it was sent with.
 */
const NOW = Date.UTC(2026, 4, 1, 12) * 1000;
let dir: string;
let store: DuckDbStore;
let promoter: AttributePromoter;
let nextId = 1n;
const sent = new Map<string, Record<string, unknown>>();

function record(fields: Record<string, unknown>): StoredRecord {
  const r = normaliseRecord(
    { timestamp: new Date(NOW / 1000 + Number(nextId)).toISOString(), ...fields },
    {
      limits: DEFAULT_LIMITS,
      nowMicros: NOW + 3_600_000_000,
    },
  );
  if ('error' in r) throw new Error(r.error.message);
  r.record.id = String(nextId++);
  return r.record;
}

/** Through the promoter and the serialiser, as the pipeline does, into the store. */
async function ingest(batch: Array<Record<string, unknown>>): Promise<void> {
  const lines = batch.map((fields) => {
    const r = record(fields);
    sent.set(r.id, structuredClone(fields));
    promoter.apply(r);
    return serialiseRecord(r, DEFAULT_LIMITS) as string;
  });
  await store.load({ parts: [{ key: `k${nextId}`, lines }] });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-attrcols-'));
  store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
  await store.open();
  promoter = new AttributePromoter(store, { sampleEvery: 1, window: 20, minShare: 0.5 });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const msgs = async (q: string) =>
  (await store.search({ query: parseQuery(q), limit: 1000 })).hits.map((h) => h.message).sort();

describe('attribute columns', () => {
  it('promote paths most records carry as strings, and nothing rare', async () => {
    // Before promotion: these stay in the attributes JSON.
    await ingest([
      { message: 'before 1', metadata: { parentResourceId: 'p-1', zone: 'eu' }, 'service.name': 'api' },
      { message: 'before 2', metadata: { parentResourceId: 'p-2' }, rare: 'x' },
    ]);
    const batch = Array.from({ length: 30 }, (_, i) => ({
      message: `fill ${i}`,
      metadata: { parentResourceId: `p-${i % 3}` },
      'service.name': 'api',
      http: { status: 200 },
    }));
    await ingest(batch);
    await new Promise((r) => setTimeout(r, 50)); // promotion resolves asynchronously
    const paths = store.attributeColumns().map((c) => c.keys);
    expect(paths).toContainEqual(['metadata', 'parentResourceId']);
    expect(paths).toContainEqual(['service.name']);
    expect(paths).not.toContainEqual(['rare']);
    expect(paths).not.toContainEqual(['http', 'status']); // numbers stay in the JSON
  });

  it('split records written after promotion, sharing no object with the input', async () => {
    const shared = { parentResourceId: 'p-9', zone: 'us' };
    const a = record({ message: 'shared a', metadata: shared });
    const b = record({ message: 'shared b', metadata: shared });
    promoter.apply(a);
    promoter.apply(b);
    expect(shared).toEqual({ parentResourceId: 'p-9', zone: 'us' });
    const slot = store.attributeColumns().find((c) => c.keys[0] === 'metadata')!.slot;
    expect(a.promoted?.[slot]).toBe('p-9');
    expect(a.attrs).toEqual({ metadata: { zone: 'us' } });
    const only = record({ message: 'only', metadata: { parentResourceId: 'p-8' } });
    promoter.apply(only);
    expect(only.attrs).toEqual({}); // the emptied parent goes too
  });

  it('find records whether their value is in a column or in the JSON', async () => {
    await ingest([
      { message: 'after 1', metadata: { parentResourceId: 'p-1', zone: 'eu' }, 'service.name': 'api' },
      { message: 'after number', metadata: { parentResourceId: 17 } },
      { message: 'after none', other: 'y' },
      // A "__proto__" key beside a promoted one stays an ordinary field (JSON.parse makes it one).
      JSON.parse('{"message":"after proto","metadata":{"parentResourceId":"p-7","__proto__":{"x":1}}}'),
    ]);
    // The split values really are in the columns: one record each (after 1) for both paths.
    const internals = store as unknown as {
      pool: { rows(sql: string, p: unknown[], t: number): Promise<unknown[][]> };
    };
    const [counts] = await internals.pool.rows('SELECT count(a0), count(a1) FROM logs', [], 10_000);
    expect(counts!.map(Number)).toEqual([2, 1]); // after 1 and after proto; after 1
    expect(await msgs('metadata.parentResourceId:p-1')).toEqual([
      'after 1',
      'before 1',
      ...Array.from({ length: 10 }, (_, i) => `fill ${i * 3 + 1}`).sort(),
    ]);
    expect(await msgs('metadata.parentResourceId:17')).toEqual(['after number']);
    expect(await msgs('metadata.parentResourceId:p-1* AND message:after*')).toEqual(['after 1']);
    expect(await msgs('metadata.parentResourceId:/^p-[12]$/ AND -message:fill*')).toEqual([
      'after 1',
      'before 1',
      'before 2',
    ]);
    expect(await msgs('-metadata.parentResourceId:* AND -message:fill*')).toEqual(['after none']);
    expect((await msgs('service.name:api')).length).toBe(32);
    expect(await msgs('metadata.zone:eu')).toEqual(['after 1', 'before 1']);
  });

  it('read every record back with exactly the fields it was sent with', async () => {
    const { hits } = await store.search({ query: parseQuery('*'), limit: 1000 });
    expect(hits.length).toBe(sent.size);
    for (const hit of hits) {
      const { id, timestamp, level, ...rest } = hit;
      const { timestamp: _t, ...fields } = sent.get(id)!;
      expect(rest).toEqual(fields);
    }
  });

  it('keep their slots across a restart', async () => {
    const before = store.attributeColumns();
    await store.close();
    store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
    await store.open();
    expect(store.attributeColumns()).toEqual(before);
    expect((await msgs('metadata.parentResourceId:p-2')).length).toBe(11);
  });
});
