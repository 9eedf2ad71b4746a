import { beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/query/parse.js';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import { storedLines } from './cases.js';
import { usePostgres } from './factories.js';

/**
 * What only a shared database has: several nodes (separate PostgresStore instances, each with
 * its own pool and partition cache) starting, creating partitions and loading at once.
 */
const pg = usePostgres();
let url = '';

beforeAll(async () => {
  if (pg.ready()) url = (await pg.database()).url; // dropped with the file's other databases
});

const nodes = (n: number) =>
  Array.from({ length: n }, () => new PostgresStore({ url, queryTimeoutMs: 10_000, poolSize: 3 }));

describe('PostgresStore: several nodes on one database', () => {
  it('open at once (migrations under the advisory lock), create the same new days at once, and apply each key once', async (t) => {
    if (!pg.ready()) return t.skip();
    const stores = nodes(4);
    await Promise.all(stores.map((s) => s.open()));
    try {
      // Days no node has created yet, the same ones for every node, and one key every node loads.
      const day = (d: number, i: number) => new Date(Date.UTC(2025, 4, d, 12, 0, i)).toISOString();
      const shared = storedLines(
        Array.from({ length: 50 }, (_, i) => ({ timestamp: day(1 + (i % 3), i), message: `shared ${i}` })),
        1_000n,
      ).lines;
      const own = stores.map(
        (_, n) =>
          storedLines(
            Array.from({ length: 20 }, (_, i) => ({
              timestamp: day(1 + (i % 3), i),
              message: `node ${n} ${i}`,
            })),
            BigInt(2_000 + n * 100),
          ).lines,
      );
      const results = await Promise.all(
        stores.flatMap((s, n) => [
          s.load({ parts: [{ key: 'shared', lines: shared }] }),
          s.load({
            parts: [
              { key: `own-${n}`, lines: own[n]! },
              { key: 'shared', lines: shared },
            ],
          }),
        ]),
      );
      expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(50 + 4 * 20);
      expect(results.flatMap((r) => r.appliedKeys).filter((k) => k === 'shared')).toHaveLength(1);
      for (const s of stores) {
        expect(await s.count({ query: parseQuery('*') })).toBe(130);
        expect(await s.count({ query: parseQuery('shared') })).toBe(50);
      }
      // The three new days beside the three created ahead at open (today and the next two; a
      // fourth if the test ran across midnight), each once.
      const stats = await stores[0]!.stats();
      expect(stats.partitions).toBeGreaterThanOrEqual(6);
      expect(stats.partitions).toBeLessThanOrEqual(7);
      expect(stats.records).toBe(130);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('loads batches holding the same keys in opposite orders on two nodes without deadlocking', async (t) => {
    if (!pg.ready()) return t.skip();
    const [a, b] = nodes(2);
    await Promise.all([a!.open(), b!.open()]);
    try {
      const part = (key: string, first: bigint) => ({
        key,
        lines: storedLines(
          Array.from({ length: 30 }, (_, i) => ({
            timestamp: new Date(Date.UTC(2025, 5, 1, 0, 0, i)).toISOString(),
            message: key,
          })),
          first,
        ).lines,
      });
      let inserted = 0;
      for (let round = 0; round < 10; round++) {
        const x = part(`x${round}`, BigInt(10_000 + round * 100));
        const y = part(`y${round}`, BigInt(50_000 + round * 100));
        const results = await Promise.all([a!.load({ parts: [x, y] }), b!.load({ parts: [y, x] })]);
        inserted += results.reduce((n, r) => n + r.inserted, 0);
        expect(results.flatMap((r) => r.appliedKeys).sort()).toEqual([`x${round}`, `y${round}`]);
      }
      expect(inserted).toBe(10 * 60);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });
});
