import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announce, announcementFor } from '../../src/cluster/announcements.js';
import { ClusterTailHub } from '../../src/cluster/cluster-tail.js';
import { DEFAULT_LIMITS } from '../../src/model/limits.js';
import { normaliseRecord, serialiseRecord } from '../../src/model/normalise.js';
import type { OutputRecord } from '../../src/model/record.js';
import { parseQuery } from '../../src/query/parse.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import type { LoadPart } from '../../src/store/store.js';
import { waitFor } from '../helpers/server.js';
import { useTestRedis } from '../helpers/services.js';

const testRedis = useTestRedis('the cluster tail tests');
const name = testRedis.name;
let store: DuckDbStore;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-tail-'));
  store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
  await store.open();
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A part as a worker gets it from the broker: normalised lines with their bounds. */
function part(key: string, firstId: bigint, messages: string[]): LoadPart {
  const nowMicros = Date.now() * 1000;
  const lines = messages.map((message, i) => {
    const r = normaliseRecord(
      { message, level: message.startsWith('ERR') ? 'error' : 'info' },
      {
        limits: DEFAULT_LIMITS,
        nowMicros,
      },
    );
    if ('error' in r) throw new Error(r.error.message);
    r.record.id = (firstId + BigInt(i)).toString();
    return serialiseRecord(r.record, DEFAULT_LIMITS) as string;
  });
  const last = firstId + BigInt(messages.length) - 1n;
  return { key, lines, bounds: { minTs: nowMicros, maxTs: nowMicros, firstId, lastId: last } };
}

describe('cluster tail', () => {
  it('sends each subscriber the matching records of every announced load, once, in any load order', async (t) => {
    if (!testRedis.redis) return t.skip();
    const hub = new ClusterTailHub(store, testRedis.redis.duplicate(), name, (err) => {
      throw err;
    });
    await hub.open();
    const errors: OutputRecord[] = [];
    const all: OutputRecord[] = [];
    hub.subscribe(parseQuery('level:error'), (r) => errors.push(...r));
    hub.subscribe(parseQuery(''), (r) => all.push(...r));

    // Two workers: the batch with the higher ids commits first.
    const later = { parts: [part('b', 2_000n, ['ERR two', 'fine two'])] };
    const earlier = { parts: [part('a', 1_000n, ['ERR one', 'fine one', 'ERR one again'])] };
    for (const batch of [later, earlier]) {
      const result = await store.load(batch);
      const a = announcementFor(batch, result.appliedKeys);
      expect(a).not.toBeNull();
      await announce(testRedis.redis, name, a!);
    }
    // A redelivered batch applies nothing and announces nothing.
    expect(announcementFor(earlier, (await store.load(earlier)).appliedKeys)).toBeNull();

    await waitFor(async () => all.length === 5 && errors.length === 3);
    await new Promise((r) => setTimeout(r, 200)); // nothing more arrives
    expect(errors.map((r) => r.message).sort()).toEqual(['ERR one', 'ERR one again', 'ERR two']);
    expect(all.map((r) => r.id).sort()).toEqual(['1000', '1001', '1002', '2000', '2001']);
    await hub.close();
  });

  it('resumes a reconnecting client after its Last-Event-ID', async (t) => {
    if (!testRedis.redis) return t.skip();
    const hub = new ClusterTailHub(store, testRedis.redis.duplicate(), name, () => {});
    await hub.open();
    const got: OutputRecord[] = [];
    hub.subscribe(parseQuery('ERR'), (r) => got.push(...r), '1001');
    await waitFor(async () => got.length === 2);
    expect(got.map((r) => r.id)).toEqual(['1002', '2000']);
    await hub.close();
  });
});
