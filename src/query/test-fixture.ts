import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { parseTimestamp } from '../model/timestamp.js';
import { COLUMNS_DDL, NDJSON_PROJECTION } from '../store/duckdb/schema.js';
import { parseQuery } from './parse.js';
import { compileWhere } from './sql/compile.js';
import { duckdbDialect } from './sql/duckdb.js';

/**
 * Test support (not used at run time): a tiny in-memory DuckDB table in the store's schema, for
 * asserting which rows a query matches. Each row has a `name` column that only tests read.
 */
interface FixtureRow {
  name: string;
  ts: string;
  level: string;
  message: string;
  resourceId?: string;
  traceId?: string;
  spanId?: string;
  commit?: string;
  attrs?: Record<string, unknown>;
}

export const FIXTURE_ROWS: readonly FixtureRow[] = [
  // The reference record of PRODUCT.md.
  {
    name: 'ref',
    ts: '2023-09-15T08:00:00Z',
    level: 'error',
    message: 'Failed to connect to DB',
    resourceId: 'server-1234',
    traceId: 'abc-xyz-123',
    spanId: 'span-456',
    commit: '5e5342f',
    attrs: { metadata: { parentResourceId: 'server-0987' } },
  },
  {
    name: 'timeout',
    ts: '2023-09-12T10:00:00Z',
    level: 'warn',
    message: 'Request timeout after 5000 ms',
    resourceId: 'server-1200',
    attrs: { http: { status: 504, method: 'GET' } },
  },
  {
    name: 'timeouts',
    ts: '2023-09-12T11:00:00Z',
    level: 'info',
    message: 'Two timeouts today',
    resourceId: 'server-12',
  },
  {
    name: 'upper',
    ts: '2023-09-13T09:00:00Z',
    level: 'error',
    message: 'TIMEOUT waiting for lock',
    resourceId: 'db-1',
  },
  // OTLP style: the attribute key itself contains a dot.
  {
    name: 'refused',
    ts: '2023-09-14T12:00:00Z',
    level: 'error',
    message: 'connection refused by 10.0.0.7',
    resourceId: 'server-9',
    attrs: { 'http.status': 502 },
  },
  {
    name: 'connect',
    ts: '2023-09-14T12:30:00Z',
    level: 'fatal',
    message: 'could not connect: connect refused',
    resourceId: 'server-9',
  },
  {
    name: 'spaces',
    ts: '2023-09-16T00:00:00Z',
    level: 'error',
    message: 'failed   to\tconnect twice',
    commit: 'abc1234',
  },
  {
    name: 'otel',
    ts: '2023-09-09T23:59:59Z',
    level: 'debug',
    message: 'span exported',
    attrs: { 'service.name': 'checkout', http: { status: '200' }, ok: true },
  },
  {
    name: 'nokeys',
    ts: '2023-09-10T00:00:00Z',
    level: 'info',
    message: 'user logged in (C++ client)',
    attrs: { user: { name: "o'brien", id: 42 } },
  },
  {
    name: 'punct',
    ts: '2023-09-11T00:00:00Z',
    level: 'trace',
    message: 'path /api/v1/logs?x=1 done. 100% [OK]',
    resourceId: 'server_1%',
  },
  { name: 'ids', ts: '2023-09-11T01:00:00Z', level: 'info', message: 'timeout', traceId: 'timeout' },
  // Sent as "notice": stored as info, the sent name kept as originalLevel.
  {
    name: 'notice',
    ts: '2023-09-11T02:00:00Z',
    level: 'info',
    message: 'disk usage at 91%',
    attrs: { originalLevel: 'notice' },
  },
  { name: 'unicode', ts: '2023-09-11T03:00:00Z', level: 'warn', message: 'Ошибка соединения: café fermé' },
  {
    name: 'keys',
    ts: '2023-09-11T04:00:00Z',
    level: 'info',
    message: 'odd keys',
    attrs: {
      "a'b": 'quote',
      'x"y': 'double',
      'p/q': 'slash',
      't~u': 'tilde',
      $: 'dollar',
      '[0]': 'bracket',
      'a.b': 'dotted',
      a: { b: 'nested' },
    },
  },
  // W3C ids (stored as integers; leading zeros must survive) and the same digits in upper case
  // (not W3C form: stored as sent, matched only as sent).
  {
    name: 'w3c',
    ts: '2023-09-11T01:30:00Z',
    level: 'info',
    message: 'traced call',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: '00f067aa0ba902b7',
  },
  {
    name: 'w3cupper',
    ts: '2023-09-11T01:40:00Z',
    level: 'info',
    message: 'traced call',
    traceId: '0AF7651916CD43DD8448EB211C80319C',
    spanId: '00F067AA0BA902B7',
  },
];

export const FIXTURE_NAMES: readonly string[] = FIXTURE_ROWS.map((r) => r.name).sort();

export interface QueryFixture {
  readonly conn: DuckDBConnection;
  /** Names of the rows the query matches, sorted. */
  match(query: string, nowMs?: number): Promise<string[]>;
  rowCount(): Promise<number>;
  close(): void;
}

export async function openQueryFixture(): Promise<QueryFixture> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE logs (${COLUMNS_DDL}, name VARCHAR)`);
  for (const [i, r] of FIXTURE_ROWS.entries()) {
    const ts = parseTimestamp(r.ts);
    if ('error' in ts) throw new Error(ts.error);
    const values: DuckDBValue[] = [
      String(i + 1),
      ts.micros,
      r.level,
      r.message,
      r.resourceId ?? null,
      r.traceId ?? null,
      r.spanId ?? null,
      r.commit ?? null,
      r.attrs ? JSON.stringify(r.attrs) : null,
      r.name,
    ];
    // Through the store's own load projection, so ids land in the columns a real load uses.
    await conn.run(
      `INSERT INTO logs SELECT ${NDJSON_PROJECTION}, NULL AS blk, name FROM (SELECT $1::UBIGINT AS id, $2::BIGINT AS ts,
         $3 AS level, $4 AS message, $5 AS resourceId, $6 AS traceId, $7 AS spanId, $8 AS "commit",
         $9::JSON AS attrs, NULL::VARCHAR[] AS promoted, $10 AS name)`,
      values,
    );
  }
  return {
    conn,
    async match(query, nowMs) {
      const params: unknown[] = [];
      const where = compileWhere(parseQuery(query), duckdbDialect, params, nowMs);
      const reader = await conn.runAndReadAll(
        `SELECT name FROM logs WHERE ${where} ORDER BY name`,
        params as DuckDBValue[],
      );
      return reader.getRows().map((row) => String(row[0]));
    },
    async rowCount() {
      return Number((await conn.runAndReadAll('SELECT count(*) FROM logs')).getRows()[0]![0]);
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
