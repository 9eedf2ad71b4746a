import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';

/**
 * `preferredLoadRecords` is what the spool waits for when delivery is behind (spool.ts). It is
 * right when an insert of that many rows reaches the file as compressed row groups while it
 * runs, so its commit logs only their place in the WAL — while a smaller insert logs every row
 * there and leaves it to a checkpoint (measured: 2 to 9 µs a record more). This checks it on
 * DuckDB itself, in a load's shape (sorted, in a transaction), with automatic checkpoints out
 * of the way so the WAL shows what the commit wrote. A DuckDB upgrade that changed its row
 * group size would fail here.
 */
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function walBytesAfterInserting(rows: number): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sawmill-load-size-'));
  dirs.push(dir);
  const file = path.join(dir, 'x.duckdb');
  const db = await DuckDBInstance.create(file, { checkpoint_threshold: '1GB' });
  const c = await db.connect();
  try {
    await c.run('CREATE TABLE t (id UBIGINT, ts TIMESTAMP, message VARCHAR)');
    // An insert into an empty table is always written as row groups: a load's table is not empty.
    await c.run(`INSERT INTO t VALUES (0, '2026-06-01', 'first')`);
    await c.run('CHECKPOINT');
    await c.run('BEGIN TRANSACTION');
    await c.run(`INSERT INTO t SELECT * FROM (
      SELECT i, make_timestamp(1780000000000000 + i * 1000), 'request ' || i || ' served in ' || (i % 997) || ' ms'
      FROM range(${rows}) r(i) ORDER BY 2, 1)`);
    await c.run('COMMIT');
    return (await stat(`${file}.wal`)).size;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('DuckDB store: preferred load size', () => {
  it('an insert of preferredLoadRecords rows is written as row groups, not logged row by row', async () => {
    const rows = new DuckDbStore({ dir: '/nonexistent', queryTimeoutMs: 1 }).preferredLoadRecords;
    const full = await walBytesAfterInserting(rows);
    const short = await walBytesAfterInserting(rows - 1);
    expect(short).toBeGreaterThan(rows * 20); // every row, logged
    expect(full).toBeLessThan(short / 20);
  }, 60_000);
});
