import pg from 'pg';
import { type Level, type OutputRecord, toOutputRecord } from '../../model/record.js';
import type { QueryNode } from '../../query/ast.js';
import { compileWhere } from '../../query/sql/compile.js';
import { postgresDialect } from '../../query/sql/postgres.js';
import { extractTimeBounds } from '../../query/time.js';
import { QueryTimeoutError } from '../errors.js';
import { summariseFields } from '../field-summary.js';
import { MAX_BUCKETS } from '../interval.js';
import { rollupLevels } from '../level-filter.js';
import type {
  AttributeColumn,
  ContextResult,
  Cursor,
  FieldSummary,
  FieldsParams,
  HistogramBucket,
  HistogramParams,
  LoadBatch,
  LoadResult,
  QueryParams,
  SearchParams,
  SearchResult,
  Store,
  StoreStats,
} from '../store.js';
import { loadBatch } from './loader.js';
import { migrate } from './migrate.js';
import { daysAhead, PartitionCache } from './partitions.js';
import { applyRetention } from './retention.js';
import { compactRollupSql, EPOCH_PLUS, MINUTE, rollupCountsSql } from './rollup.js';
import { LOADED, LOGS, MESSAGE_INDEX, ROLLUP, SELECT_RECORD } from './schema.js';
import { PartitionStatistics } from './statistics.js';

export interface PostgresStoreOptions {
  url: string;
  queryTimeoutMs: number;
  poolSize?: number;
}

/** One transaction's statements. */
type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params?: unknown[],
) => Promise<R[]>;

/**
 * Compact the rollup and prune load keys after this many loads (per process): at 2,000-record
 * parts a 7-day rollup otherwise grows to twice its folded size (86k against 46k rows, measured).
 */
const HOUSEKEEPING_EVERY_LOADS = 100;
/** SQLSTATE of a statement cancelled by statement_timeout. */
const QUERY_CANCELED = '57014';
const EXPORT_PAGE = 5000;

interface RecordRow {
  rid: string;
  ts_us: string;
  level: string;
  message: string;
  resource_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  commit_id: string | null;
  attrs: Record<string, unknown> | null;
}

/**
 * The cluster store (docs/postgres.md): any number of Sawmill nodes share one database. Nothing
 * here is cached that another node could change, except which day partitions exist (a cache
 * that only ever saves a catalog look-up, and is dropped when a load fails).
 */
export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly partitions = new PartitionCache();
  private readonly statistics = new PartitionStatistics();
  private loads = 0;

  constructor(private readonly opts: PostgresStoreOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 8,
      // Session settings (not server-wide): UTC for date_trunc and day boundaries.
      options: '-c TimeZone=UTC',
    });
    // An idle client that loses its connection must not crash the process.
    this.pool.on('error', () => {});
  }

  async open(): Promise<void> {
    const c = await this.pool.connect();
    try {
      const { rows } = await c.query<{ ctype: string; provider: string }>(
        `SELECT datctype AS ctype, datlocprovider::text AS provider FROM pg_database WHERE datname = current_database()`,
      );
      const { ctype, provider } = rows[0]!;
      if (provider === 'c' && (ctype === 'C' || ctype === 'POSIX')) {
        throw new Error(
          `database ctype is ${ctype}: word search needs a UTF-8 locale to know letters beyond ASCII ` +
            `(CREATE DATABASE … LC_CTYPE 'C.UTF-8' TEMPLATE template0)`,
        );
      }
      await migrate(c);
      await c.query(compactRollupSql);
    } finally {
      c.release();
    }
    await this.partitions.ensure(this.pool, daysAhead(Date.now() * 1000));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** PostgreSQL keeps every attribute in jsonb and reads it fast there: no attribute columns. */
  attributeColumns(): AttributeColumn[] {
    return [];
  }

  async addAttributeColumn(_keys: string[]): Promise<AttributeColumn | null> {
    return null;
  }

  async load(batch: LoadBatch): Promise<LoadResult> {
    const { inserted, appliedKeys, rowsByMinute } = await loadBatch(this.pool, this.partitions, batch);
    for (const table of this.statistics.loaded(rowsByMinute)) {
      // The name is built from a date computed here (partitions.ts), never from input.
      await this.pool.query(`ANALYZE ${table}`);
      this.statistics.analysed(table);
    }
    if (++this.loads % HOUSEKEEPING_EVERY_LOADS === 0) {
      await this.pool.query(compactRollupSql);
      await this.pool.query(`DELETE FROM ${LOADED} WHERE loaded_at < now() - interval '7 days'`);
      // COPY adds to the trigram indexes' pending lists (fastupdate: 10x cheaper ingest than
      // without, measured); until merged, the planner prices every text query as scanning
      // them and picks a full scan (a rare word: 820 ms instead of 5). Autovacuum merges them
      // eventually; this keeps it from depending on autovacuum's timing.
      await this.pool.query(
        `SELECT count(gin_clean_pending_list(inhrelid)) FROM pg_inherits WHERE inhparent = $1::regclass`,
        [MESSAGE_INDEX],
      );
    }
    return { inserted, appliedKeys };
  }

  /**
   * Runs `fn` in a read-only transaction with the query deadline set for each of its statements
   * (SET LOCAL: it ends with the transaction, the pooled connection keeps no setting). REPEATABLE
   * READ gives every statement one snapshot, so a page and its total agree.
   */
  private async read<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const ms = Math.max(1, Math.floor(this.opts.queryTimeoutMs));
    const c = await this.pool.connect();
    try {
      // jit off: a plan whose estimated cost passes jit_above_cost (a scan of millions of rows)
      // would be compiled first, which pays off only for long analytical scans (docs/postgres.md).
      await c.query(
        `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = ${ms}; SET LOCAL jit = off`,
      );
      const result = await fn(async (sql, params) => (await c.query(sql, params)).rows);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      if ((err as { code?: string }).code === QUERY_CANCELED) throw new QueryTimeoutError(ms);
      throw err;
    } finally {
      c.release();
    }
  }

  async maxId(): Promise<bigint> {
    const rows = await this.read((q) =>
      q<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM ${LOGS}`),
    );
    return BigInt(rows[0]!.id);
  }

  /** WHERE clause for a query plus time range, with its parameters. */
  private where(p: QueryParams): { sql: string; params: unknown[]; from?: number; to?: number } {
    const params: unknown[] = [];
    const clauses = [compileWhere(p.query, postgresDialect, params)];
    const bounds = extractTimeBounds(p.query);
    const from = max(p.from, bounds.from);
    const to = min(p.to, bounds.to);
    if (from !== undefined) clauses.push(`ts >= ${EPOCH_PLUS(`$${params.push(from)}`)}`);
    if (to !== undefined) clauses.push(`ts <= ${EPOCH_PLUS(`$${params.push(to)}`)}`);
    return { sql: clauses.join(' AND '), params, from, to };
  }

  search(p: SearchParams): Promise<SearchResult> {
    return this.read(async (q) => {
      const w = this.where(p);
      const params = [...w.params];
      let cursor = '';
      if (p.cursor) {
        const t = EPOCH_PLUS(`$${params.push(p.cursor.ts)}`);
        cursor = ` AND (ts, id) < (${t}, ${postgresDialect.recordId(`$${params.push(p.cursor.id)}`)})`;
      }
      // One statement: the (ts, id) index read backwards, newest partition first, stops when the
      // page is full; the planner switches to the trigram or keyword index for a rare filter.
      const rows = await q<RecordRow>(
        `SELECT ${SELECT_RECORD} FROM ${LOGS} WHERE ${w.sql}${cursor}
         ORDER BY ts DESC, id DESC LIMIT ${Math.max(1, Math.floor(p.limit)) + 1}`,
        params,
      );
      let next: Cursor | null = null;
      if (rows.length > p.limit) {
        rows.length = Math.max(0, p.limit);
        const last = rows[rows.length - 1];
        next = last ? { ts: Number(last.ts_us), id: last.rid } : null;
      }
      const total = p.withTotal === false ? null : await this.countIn(q, p.query, w);
      return { hits: rows.map(toRecord), total, next };
    });
  }

  count(p: QueryParams): Promise<number> {
    return this.read((q) => this.countIn(q, p.query, this.where(p)));
  }

  private async countIn(
    q: Query,
    query: QueryNode,
    w: { sql: string; params: unknown[]; from?: number; to?: number },
  ): Promise<number> {
    const levels = rollupLevels(query);
    if (levels !== null) {
      // One bucket wider than any timestamp: the rollup's sum is the count.
      const params: unknown[] = [];
      const rows = await q<{ n: string }>(
        rollupCountsSql(LOGS, 2 ** 62, w.from, w.to, params, levels),
        params,
      );
      return rows.reduce((sum, r) => sum + Number(r.n), 0);
    }
    const rows = await q<{ n: string }>(`SELECT count(*) AS n FROM ${LOGS} WHERE ${w.sql}`, w.params);
    return Number(rows[0]!.n);
  }

  async timeBounds(p: QueryParams): Promise<{ from: number; to: number } | null> {
    const w = this.where(p);
    const rows = await this.read((q) =>
      q<{ lo: string | null; hi: string | null }>(
        `SELECT ((extract(epoch FROM min(ts)) * 1000000)::bigint)::text AS lo,
                ((extract(epoch FROM max(ts)) * 1000000)::bigint)::text AS hi FROM ${LOGS} WHERE ${w.sql}`,
        w.params,
      ),
    );
    const { lo, hi } = rows[0]!;
    return lo === null || hi === null ? null : { from: Number(lo), to: Number(hi) };
  }

  async since(query: QueryNode, afterId: string, limit: number, throughId?: string): Promise<OutputRecord[]> {
    const params: unknown[] = [afterId];
    const upper =
      throughId === undefined ? '' : `id <= ${postgresDialect.recordId(`$${params.push(throughId)}`)} AND `;
    const where = compileWhere(query, postgresDialect, params);
    const rows = await this.read((q) =>
      q<RecordRow>(
        `SELECT ${SELECT_RECORD} FROM ${LOGS} WHERE id > ${postgresDialect.recordId('$1')} AND ${upper}${where}
         ORDER BY id LIMIT ${Math.max(1, Math.floor(limit))}`,
        params,
      ),
    );
    return rows.map(toRecord);
  }

  async histogram(p: HistogramParams): Promise<HistogramBucket[]> {
    const w = this.where(p);
    let interval = Math.max(1, Math.floor(p.intervalMicros));
    if (w.from !== undefined && w.to !== undefined) {
      interval = Math.max(interval, Math.ceil((w.to - w.from + 1) / MAX_BUCKETS));
    }
    const levels = rollupLevels(p.query);
    const rows = await this.read(async (q) => {
      if (levels !== null && interval % MINUTE === 0) {
        const params: unknown[] = [];
        return q<{ bucket: string; level: string; n: string }>(
          rollupCountsSql(LOGS, interval, w.from, w.to, params, levels),
          params,
        );
      }
      // date_bin keeps the bucketing in exact timestamp arithmetic (no float epoch per row);
      // only each bucket's start is turned into µs.
      const params = [...w.params];
      const iv = `$${params.push(interval)}`;
      return q<{ bucket: string; level: string; n: string }>(
        `SELECT ((extract(epoch FROM b) * 1000000)::bigint)::text AS bucket, level, n::text AS n FROM (
           SELECT date_bin(${iv}::bigint * interval '1 microsecond', ts, timestamptz 'epoch') AS b, level,
                  count(*) AS n
           FROM ${LOGS} WHERE ${w.sql} GROUP BY 1, 2) x
         ORDER BY b, level LIMIT ${MAX_BUCKETS * 6}`,
        params,
      );
    });
    const buckets: HistogramBucket[] = [];
    for (const r of rows) {
      const ts = Number(r.bucket);
      let b = buckets[buckets.length - 1];
      if (!b || b.ts !== ts) {
        b = { ts, counts: {}, total: 0 };
        buckets.push(b);
      }
      const n = Number(r.n);
      b.counts[r.level as Level] = n;
      b.total += n;
    }
    return buckets;
  }

  async fields(p: FieldsParams): Promise<FieldSummary[]> {
    const { hits } = await this.search({ ...p, limit: p.sample, withTotal: false });
    return summariseFields(hits, p.top);
  }

  async context(
    id: string,
    before: number,
    after: number,
    within: QueryNode = { kind: 'all' },
  ): Promise<ContextResult | null> {
    if (!/^\d{1,19}$/.test(id) || BigInt(id) > 9223372036854775807n) return null;
    // `within` is compiled into each statement after its own parameters ($1, $2).
    const filtered = (params: unknown[]) => compileWhere(within, postgresDialect, params);
    return this.read(async (q) => {
      const anchorParams: unknown[] = [id];
      const anchorRows = await q<RecordRow>(
        `SELECT ${SELECT_RECORD} FROM ${LOGS} WHERE id = $1::bigint AND ${filtered(anchorParams)} LIMIT 1`,
        anchorParams,
      );
      const anchor = anchorRows[0];
      if (!anchor) return null;
      const side = async (older: boolean, n: number): Promise<OutputRecord[]> => {
        if (n <= 0) return [];
        const cmp = older ? '<' : '>';
        const dir = older ? 'DESC' : 'ASC';
        const params: unknown[] = [anchor.ts_us, id];
        const rows = await q<RecordRow>(
          `SELECT ${SELECT_RECORD} FROM ${LOGS} WHERE (ts, id) ${cmp} (${EPOCH_PLUS('$1')}, $2::bigint)
             AND ${filtered(params)}
           ORDER BY ts ${dir}, id ${dir} LIMIT ${Math.floor(n)}`,
          params,
        );
        return rows.map(toRecord);
      };
      const older = await side(true, before);
      const newer = await side(false, after);
      return { anchor: toRecord(anchor), before: older.reverse(), after: newer };
    });
  }

  async *export(p: QueryParams): AsyncIterable<OutputRecord> {
    let cursor: Cursor | undefined;
    for (;;) {
      const page = await this.search({ ...p, limit: EXPORT_PAGE, cursor, withTotal: false });
      yield* page.hits;
      if (!page.next) return;
      cursor = page.next;
    }
  }

  async applyRetention(cutoff: number): Promise<number> {
    const c = await this.pool.connect();
    try {
      return await applyRetention(c, cutoff);
    } finally {
      this.partitions.forget();
      c.release();
    }
  }

  async stats(): Promise<StoreStats> {
    return this.read(async (q) => {
      const [counts] = await q<{ records: string; partitions: string; bytes: string }>(
        `SELECT (SELECT count(*) FROM ${LOGS})::text AS records,
                (SELECT count(*) FROM pg_inherits WHERE inhparent = $1::regclass)::text AS partitions,
                ((SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits
                  WHERE inhparent = $1::regclass)
                 + pg_total_relation_size($2::regclass) + pg_total_relation_size($3::regclass))::text AS bytes`,
        [LOGS, LOADED, ROLLUP],
      );
      return {
        records: Number(counts!.records),
        bytesOnDisk: Number(counts!.bytes),
        partitions: Number(counts!.partitions),
      };
    });
  }
}

function toRecord(r: RecordRow): OutputRecord {
  return toOutputRecord({
    id: r.rid,
    ts: Number(r.ts_us),
    level: r.level as Level,
    message: r.message,
    resourceId: r.resource_id ?? undefined,
    traceId: r.trace_id ?? undefined,
    spanId: r.span_id ?? undefined,
    commit: r.commit_id ?? undefined,
    attrs: r.attrs ?? {},
  });
}

function max(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function min(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
