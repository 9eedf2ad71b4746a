import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../src/query/parse.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';

/**
 * A data directory written by an earlier Sawmill (no integer trace/span columns, no minute
 * rollup) opens, is brought up to date once, and answers exactly as a new one would.
 */
const OLD_COLUMNS = `id UBIGINT NOT NULL, ts TIMESTAMP NOT NULL, level VARCHAR NOT NULL, message VARCHAR NOT NULL,
  resource_id VARCHAR, trace_id VARCHAR, span_id VARCHAR, commit_id VARCHAR, attrs JSON`;
const TRACE = '00f7651916cd43dd8448eb211c80319c';
const SPAN = '00f067aa0ba902b7';

let dir: string;
let store: DuckDbStore;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-migrate-'));
  const old = await DuckDBInstance.create(path.join(dir, 'sawmill.duckdb'));
  const c = await old.connect();
  await c.run(`CREATE TABLE logs_template (${OLD_COLUMNS})`);
  await c.run(`CREATE TABLE logs_20240301 (${OLD_COLUMNS})`);
  await c.run(`INSERT INTO logs_20240301 VALUES
    (1, '2024-03-01 10:00:00', 'info', 'w3c ids', 'srv', '${TRACE}', '${SPAN}', NULL, NULL),
    (2, '2024-03-01 10:00:30', 'error', 'other ids', 'srv', 'not-hex', 'ABCDEF0123456789', NULL, NULL)`);
  c.closeSync();
  old.closeSync();
  store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
  await store.open();
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('opening a database from before the integer id columns and the rollup', () => {
  it('finds and returns old trace and span ids exactly', async () => {
    const hit = await store.search({ query: parseQuery(`traceId:${TRACE}`), limit: 10 });
    expect(hit.hits.map((h) => [h.message, h.traceId, h.spanId])).toEqual([['w3c ids', TRACE, SPAN]]);
    const other = await store.search({ query: parseQuery('spanId:ABCDEF0123456789'), limit: 10 });
    expect(other.hits.map((h) => [h.traceId, h.spanId])).toEqual([['not-hex', 'ABCDEF0123456789']]);
  });

  it('counts the old records in the histogram', async () => {
    const buckets = await store.histogram({ query: parseQuery('*'), intervalMicros: 3_600_000_000 });
    expect(buckets.map((b) => [b.total, b.counts])).toEqual([[2, { info: 1, error: 1 }]]);
  });
});
