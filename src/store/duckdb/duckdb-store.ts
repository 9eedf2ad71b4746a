import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBListValue,
  type DuckDBValue,
  listValue,
} from '@duckdb/node-api';
import type { OutputRecord } from '../../model/record.js';
import type { QueryNode } from '../../query/ast.js';
import { compileWhere } from '../../query/sql/compile.js';
import type { SqlDialect } from '../../query/sql/dialect.js';
import { duckdbDialect, duckdbDialectFor } from '../../query/sql/duckdb.js';
import { extractTimeBounds } from '../../query/time.js';
import { summariseFields } from '../field-summary.js';
import { MAX_BUCKETS } from '../interval.js';
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
  PartBounds,
  QueryParams,
  SearchParams,
  SearchResult,
  Store,
  StoreStats,
} from '../store.js';
import { widenBounds } from '../store.js';
import { ConnectionPool } from './pool.js';
import {
  compactRollup,
  MINUTE,
  onlyTime,
  ROLLUP_DDL,
  ROLLUP_TABLE,
  rollupCountsSql,
  rollupInsertSql,
} from './rollup.js';
import { rowToRecord } from './rows.js';
import {
  ATTR_SLOTS,
  ATTRIBUTE_COLUMNS_TABLE,
  COLUMNS_DDL,
  HEX_ID_COLUMNS,
  LATE_COLUMNS,
  migrateHexIdsSql,
  NDJSON_COLUMNS,
  NDJSON_PROJECTION,
  type Partition,
  partitionForDay,
  partitionFromTable,
  SELECT_RECORD,
  TEMPLATE_TABLE,
  VIEW,
} from './schema.js';

export interface DuckDbStoreOptions {
  /** Directory holding `sawmill.duckdb` (and a scratch folder for in-memory batches). */
  dir: string;
  queryTimeoutMs: number;
  /** DuckDB's buffer-manager limit; keeps the process's peak RSS bounded. */
  memoryLimit?: string;
  threads?: number;
  readers?: number;
}

/** Tables whose text hex ids still have to move into the integer columns (see migrateColumns). */
const PENDING_TABLE = 'sawmill_pending_id_migration';
/** Exactly-once bookkeeping: every applied load key, committed with its rows. */
const LOADED_TABLE = 'sawmill_loaded';
/**
 * Keys are kept this long. A spool segment is loaded seconds after it is written and its key
 * (a µs clock reading) never recurs; a broker redelivers within minutes. Beyond that, a key is
 * only weight.
 */
const KEEP_LOADED_KEYS = 'INTERVAL 7 DAY';
/** Housekeeping cadence: prune old load keys and compact the minute rollup. */
const HOUSEKEEPING_EVERY_LOADS = 1000;
/** Widths of the newest-first search slices (see `search`). */
const SEARCH_SLICES_MICROS = [3_600_000_000, 6 * 3_600_000_000, 24 * 3_600_000_000];

export class DuckDbStore implements Store {
  private instance!: DuckDBInstance;
  private writer!: DuckDBConnection;
  private pool!: ConnectionPool;
  /** Day partitions, newest first, as the writer sees them (including any not yet committed). */
  private partitions: Partition[] = [];
  /**
   * The committed ones, which readers may name: a reader's query naming a table that a load is
   * still creating would fail, so this follows `partitions` only after each COMMIT.
   */
  private visible: Partition[] = [];
  private attrColumns: AttributeColumn[] = [];
  /** The SQL dialect, knowing the attribute columns. */
  private dialect: SqlDialect = duckdbDialect;
  /** Tail of the writer's queue (see `exclusive`). */
  private writing: Promise<unknown> = Promise.resolve();
  private scratchSeq = 0;
  private loads = 0;
  /** Newest record timestamp stored (µs); where newest-first search starts counting back. */
  private maxTs: number | undefined;

  constructor(private readonly opts: DuckDbStoreOptions) {}

  get file(): string {
    return path.join(this.opts.dir, 'sawmill.duckdb');
  }

  async open(): Promise<void> {
    await mkdir(path.join(this.opts.dir, 'scratch'), { recursive: true });
    this.instance = await DuckDBInstance.create(this.file, {
      threads: String(this.opts.threads ?? 2),
      memory_limit: this.opts.memoryLimit ?? '512MB',
      temp_directory: path.join(this.opts.dir, 'duckdb-tmp'),
    });
    this.writer = await this.instance.connect();
    await this.writer.run(`CREATE TABLE IF NOT EXISTS ${TEMPLATE_TABLE} (${COLUMNS_DDL})`);
    await this.writer.run(
      `CREATE TABLE IF NOT EXISTS ${LOADED_TABLE} (key VARCHAR PRIMARY KEY, loaded_at TIMESTAMP NOT NULL)`,
    );
    const tables = (await this.writer.runAndReadAll('SELECT table_name FROM duckdb_tables()')).getRows();
    this.partitions = tables
      .map((r) => partitionFromTable(r[0] as string))
      .filter((p): p is Partition => p !== null)
      .sort((a, b) => b.start - a.start);
    await this.migrateColumns();
    await this.openAttributeColumns();
    await this.writer.run(this.viewSql());
    this.visible = [...this.partitions];
    await this.openRollup();
    const newest = (
      await this.writer.runAndReadAll(`SELECT epoch_us(max(ts)) FROM ${VIEW}`)
    ).getRows()[0]![0];
    this.maxTs = newest === null ? undefined : Number(newest as bigint);
    this.pool = await ConnectionPool.create(this.instance, this.opts.readers ?? 4);
  }

  /**
   * Tables from before a column was added (schema.ts LATE_COLUMNS) get it, at the end so every
   * day table keeps one column order (the view unions them by position). Hex trace/span ids
   * stored as text by then move into the integer columns.
   */
  private async migrateColumns(): Promise<void> {
    const w = this.writer;
    const have = new Set(
      (await w.runAndReadAll(`SELECT table_name || '.' || column_name FROM duckdb_columns()`))
        .getRows()
        .map((r) => r[0] as string),
    );
    const tables = [TEMPLATE_TABLE, ...this.partitions.map((p) => p.table)];
    const missing = tables.flatMap((t) =>
      LATE_COLUMNS.filter(([c]) => !have.has(`${t}.${c}`)).map(([c, type]) => ({ t, c, type })),
    );
    await w.run(`CREATE TABLE IF NOT EXISTS ${PENDING_TABLE} (tbl VARCHAR PRIMARY KEY)`);
    // DuckDB refuses to commit an UPDATE and an ALTER of one table in one transaction, so the
    // columns come first, with a note of each table whose ids still need moving...
    if (missing.length > 0) {
      await w.run('BEGIN TRANSACTION');
      for (const { t, c, type } of missing) {
        await w.run(`ALTER TABLE ${t} ADD COLUMN ${c} ${type}`);
        if (c === HEX_ID_COLUMNS[0]) await w.run(`INSERT INTO ${PENDING_TABLE} VALUES ($1)`, [t]);
      }
      await w.run('COMMIT');
    }
    // ...then each table's ids move in a transaction that also clears its note (a crash in
    // between leaves the note, and the next start finishes the job).
    const pending = (await w.runAndReadAll(`SELECT tbl FROM ${PENDING_TABLE}`)).getRows();
    for (const [t] of pending) {
      await w.run('BEGIN TRANSACTION');
      for (const sql of migrateHexIdsSql(t as string)) await w.run(sql);
      await w.run(`DELETE FROM ${PENDING_TABLE} WHERE tbl = $1`, [t as string]);
      await w.run('COMMIT');
    }
  }

  /** The attribute-column catalog: which path each slot holds (see addAttributeColumn). */
  private async openAttributeColumns(): Promise<void> {
    await this.writer.run(
      `CREATE TABLE IF NOT EXISTS ${ATTRIBUTE_COLUMNS_TABLE} (slot INTEGER PRIMARY KEY, keys VARCHAR[] NOT NULL)`,
    );
    const rows = (
      await this.writer.runAndReadAll(`SELECT slot, keys FROM ${ATTRIBUTE_COLUMNS_TABLE} ORDER BY slot`)
    ).getRows();
    this.setAttributeColumns(
      rows.map(([slot, keys]) => ({
        slot: Number(slot),
        keys: (keys as DuckDBListValue).items.map(String),
      })),
    );
  }

  private setAttributeColumns(columns: AttributeColumn[]): void {
    this.attrColumns = columns;
    this.dialect = duckdbDialectFor(columns);
  }

  attributeColumns(): AttributeColumn[] {
    return this.attrColumns;
  }

  addAttributeColumn(keys: string[]): Promise<AttributeColumn | null> {
    return this.exclusive(async () => {
      const known = this.attrColumns.find((c) => sameKeys(c.keys, keys));
      if (known) return known;
      if (this.attrColumns.length >= ATTR_SLOTS) return null;
      const col = { slot: this.attrColumns.length, keys: [...keys] };
      await this.writer.run(`INSERT INTO ${ATTRIBUTE_COLUMNS_TABLE} VALUES ($1, $2::VARCHAR[])`, [
        col.slot,
        listValue(col.keys),
      ]);
      this.setAttributeColumns([...this.attrColumns, col]);
      return col;
    });
  }

  /** Create the minute rollup; a database from before it existed is counted once, here. */
  private async openRollup(): Promise<void> {
    const w = this.writer;
    const exists = (
      await w.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE table_name = '${ROLLUP_TABLE}'`)
    ).getRows()[0]![0];
    await w.run('BEGIN TRANSACTION');
    await w.run(ROLLUP_DDL);
    if (Number(exists as bigint) === 0) await w.run(rollupInsertSql(VIEW));
    else await compactRollup(w);
    await w.run('COMMIT');
  }

  async close(): Promise<void> {
    await this.writing;
    this.pool.close();
    await this.writer.run('CHECKPOINT');
    this.writer.closeSync();
    this.instance.closeSync();
  }

  /**
   * Runs `fn` alone on the writer connection. Loads, retention and attribute promotion each open
   * a transaction there; interleaved at an await, one would run inside the other's transaction.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn);
    this.writing = run.catch(() => {});
    return run;
  }

  load(batch: LoadBatch): Promise<LoadResult> {
    return this.exclusive(() => this.loadNow(batch));
  }

  private async loadNow(batch: LoadBatch): Promise<LoadResult> {
    const w = this.writer;
    const scratch: string[] = [];
    await w.run('BEGIN TRANSACTION');
    try {
      const keys = batch.parts.map((p) => p.key);
      const applied = new Set(
        (
          await w.runAndReadAll(
            `SELECT key FROM ${LOADED_TABLE} WHERE key IN (${keys.map((_, i) => `$${i + 1}`).join(',')})`,
            keys,
          )
        )
          .getRows()
          .map((r) => r[0] as string),
      );
      const files: string[] = [];
      let day: string | null | undefined; // the one UTC day all fresh parts fall in, if known
      for (const part of batch.parts) {
        if (applied.has(part.key)) continue;
        const partDay = part.bounds ? singleDay(part.bounds) : null;
        day = day === undefined || day === partDay ? partDay : null;
        if (part.file) files.push(part.file);
        else if (part.lines && part.lines.length > 0) {
          const file = path.join(this.opts.dir, 'scratch', `${process.pid}-${++this.scratchSeq}.ndjson`);
          await writeFile(file, `${part.lines.join('\n')}\n`);
          scratch.push(file);
          files.push(file);
        }
      }
      // The newest timestamp loaded: known from the parts' ranges, else read off the staged rows.
      let loaded = { inserted: 0, maxTs: Number.NEGATIVE_INFINITY };
      if (files.length > 0) {
        // The direct path needs every part's bounds, and no applied part among them: the rollup
        // counts the new rows by their id range, which must hold no earlier-loaded row.
        loaded =
          day && applied.size === 0
            ? await this.insertDay(w, files, day, unionBounds(batch.parts.map((p) => p.bounds!)))
            : await this.insertFiles(w, files);
      }
      const fresh = keys.filter((k) => !applied.has(k));
      if (fresh.length > 0) {
        await w.run(
          `INSERT INTO ${LOADED_TABLE} VALUES ${fresh.map((_, i) => `($${i + 1}, now())`).join(',')}`,
          fresh,
        );
      }
      if (++this.loads % HOUSEKEEPING_EVERY_LOADS === 0) {
        await w.run(`DELETE FROM ${LOADED_TABLE} WHERE loaded_at < now() - ${KEEP_LOADED_KEYS}`);
        await compactRollup(w);
      }
      await w.run('COMMIT');
      this.visible = [...this.partitions];
      if (loaded.inserted > 0 && (this.maxTs === undefined || loaded.maxTs > this.maxTs))
        this.maxTs = loaded.maxTs;
      return { inserted: loaded.inserted };
    } catch (err) {
      await w.run('ROLLBACK').catch(() => {});
      // A partition created inside the failed transaction does not exist any more.
      await this.refreshPartitions();
      throw err;
    } finally {
      await Promise.all(scratch.map((f) => rm(f, { force: true })));
    }
  }

  /**
   * The common case: every record is from one known day, so insert straight from the files. The
   * new rows are then counted for the rollup by their id range (zone maps skip the older rows).
   */
  private async insertDay(
    w: DuckDBConnection,
    files: string[],
    day: string,
    bounds: PartBounds,
  ): Promise<{ inserted: number; maxTs: number }> {
    const p = await this.ensurePartition(w, day);
    const res = await w.run(
      `INSERT INTO ${p.table} SELECT ${NDJSON_PROJECTION} FROM ${readNdjson(files)} ORDER BY ts, id`,
    );
    await w.run(rollupInsertSql(p.table, 'id BETWEEN $1::UBIGINT AND $2::UBIGINT'), [
      String(bounds.firstId),
      String(bounds.lastId),
    ]);
    return { inserted: res.rowsChanged, maxTs: bounds.maxTs };
  }

  private async ensurePartition(w: DuckDBConnection, day: string): Promise<Partition> {
    const p = partitionForDay(day);
    const known = this.partitions.find((q) => q.table === p.table);
    if (known) return known;
    await w.run(`CREATE TABLE IF NOT EXISTS ${p.table} (${COLUMNS_DDL})`);
    this.partitions.push(p);
    this.partitions.sort((a, b) => b.start - a.start);
    await w.run(this.viewSql());
    return p;
  }

  /** Records of unknown or several days: stage once, then split by day. */
  private async insertFiles(
    w: DuckDBConnection,
    files: string[],
  ): Promise<{ inserted: number; maxTs: number }> {
    await w.run(
      `CREATE OR REPLACE TEMP TABLE incoming AS SELECT ${NDJSON_PROJECTION} FROM ${readNdjson(files)}`,
    );
    const summary = (
      await w.runAndReadAll(
        `SELECT strftime(ts, '%Y-%m-%d') AS day, epoch_us(max(ts)) FROM incoming GROUP BY day ORDER BY day`,
      )
    ).getRows();
    const maxTs = Math.max(Number.NEGATIVE_INFINITY, ...summary.map((r) => Number(r[1] as bigint)));
    let inserted = 0;
    for (const [day] of summary) {
      const p = await this.ensurePartition(w, day as string);
      const where = summary.length === 1 ? '' : `WHERE strftime(ts, '%Y-%m-%d') = $1`;
      const res = await w.run(
        `INSERT INTO ${p.table} SELECT * FROM incoming ${where} ORDER BY ts, id`,
        summary.length === 1 ? [] : [day as string],
      );
      inserted += res.rowsChanged;
    }
    await w.run(rollupInsertSql('incoming'));
    await w.run('DROP TABLE incoming');
    return { inserted, maxTs };
  }

  private viewSql(): string {
    const parts = [TEMPLATE_TABLE, ...this.partitions.map((p) => p.table)];
    return `CREATE OR REPLACE VIEW ${VIEW} AS ${parts.map((t) => `SELECT * FROM ${t}`).join(' UNION ALL ')}`;
  }

  private async refreshPartitions(): Promise<void> {
    const tables = (await this.writer.runAndReadAll('SELECT table_name FROM duckdb_tables()')).getRows();
    const names = new Set(tables.map((r) => r[0] as string));
    this.partitions = this.partitions.filter((p) => names.has(p.table));
    this.visible = [...this.partitions];
  }

  async maxId(): Promise<bigint> {
    const rows = await this.pool.rows(`SELECT coalesce(max(id), 0)::VARCHAR FROM ${VIEW}`, [], 60_000);
    return BigInt(rows[0]![0] as string);
  }

  /** WHERE clause for a query plus time range, with its parameters. */
  private where(p: QueryParams): { sql: string; params: DuckDBValue[]; from?: number; to?: number } {
    const params: unknown[] = [];
    const clauses = [compileWhere(p.query, this.dialect, params)];
    const bounds = extractTimeBounds(p.query);
    const from = max(p.from, bounds.from);
    const to = min(p.to, bounds.to);
    if (from !== undefined) {
      params.push(from);
      clauses.push(`ts >= make_timestamp($${params.length}::BIGINT)`);
    }
    if (to !== undefined) {
      params.push(to);
      clauses.push(`ts <= make_timestamp($${params.length}::BIGINT)`);
    }
    return { sql: clauses.join(' AND '), params: params as DuckDBValue[], from, to };
  }

  private partitionsIn(from?: number, to?: number): Partition[] {
    return this.visible.filter(
      (p) => (from === undefined || p.end > from) && (to === undefined || p.start <= to),
    );
  }

  /**
   * What a query over [from, to] reads: only the day tables that overlap it, or null when none
   * does. Cheaper than the all-days view, whose every branch DuckDB binds and prunes per query
   * (~3 ms at 10 days, measured).
   */
  private source(from?: number, to?: number): string | null {
    const parts = this.partitionsIn(from, to);
    if (parts.length === 0) return null;
    if (parts.length === this.visible.length) return VIEW;
    if (parts.length === 1) return parts[0]!.table;
    return `(${parts.map((p) => `SELECT * FROM ${p.table}`).join(' UNION ALL ')})`;
  }

  async search(p: SearchParams): Promise<SearchResult> {
    const w = this.where(p);
    const total = p.withTotal === false ? Promise.resolve(null) : this.countWhere(p.query, w);
    total.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    const rows: DuckDBValue[][] = [];
    const want = p.limit + 1; // one extra tells whether another page follows
    const cursorParams = [...w.params];
    let cursorSql = '';
    if (p.cursor) {
      cursorParams.push(p.cursor.ts, p.cursor.id);
      const t = `make_timestamp($${cursorParams.length - 1}::BIGINT)`;
      cursorSql = ` AND (ts < ${t} OR (ts = ${t} AND id < $${cursorParams.length}::UBIGINT))`;
    }
    // Newest first, in time slices counted back from the newest record: the last hour, the last
    // 6 hours, the last day, then everything older. Rows are stored in time order, so a narrow
    // slice touches few row groups, and most pages fill in the first slice; a rare match costs a
    // cheap extra query before the full scan it needs anyway.
    const to = p.cursor ? min(w.to, p.cursor.ts) : w.to;
    if (this.partitionsIn(w.from, to).length > 0) {
      const top = min(to, this.maxTs);
      let upper: number | undefined;
      for (const width of top === undefined ? [] : SEARCH_SLICES_MICROS) {
        const lower = top! - width;
        if (w.from !== undefined && lower <= w.from) break;
        rows.push(
          ...(await this.page(
            w.sql + cursorSql,
            cursorParams,
            { from: w.from, to },
            lower,
            upper,
            want - rows.length,
          )),
        );
        upper = lower;
        if (rows.length >= want) break;
        // At the rate matches turned up so far, would the page fill within the slices? If not
        // (a rare filter), wider slices would only repeat the scan piecemeal: do the rest at once.
        const needed =
          rows.length === 0 ? Number.POSITIVE_INFINITY : (width * (want - rows.length)) / rows.length;
        if (width + needed > SEARCH_SLICES_MICROS[SEARCH_SLICES_MICROS.length - 1]!) break;
      }
      if (rows.length < want)
        rows.push(
          ...(await this.page(
            w.sql + cursorSql,
            cursorParams,
            { from: w.from, to },
            undefined,
            upper,
            want - rows.length,
          )),
        );
    }
    let next: Cursor | null = null;
    if (rows.length > p.limit) {
      rows.length = p.limit;
      const last = rows[rows.length - 1]!;
      next = { ts: Number(last[1] as bigint), id: last[0] as string };
    }
    return { hits: rows.map((r) => rowToRecord(r, this.attrColumns)), total: await total, next };
  }

  /** Newest-first rows with lower < ts <= upper (either bound optional), within `span`. */
  private async page(
    where: string,
    params: DuckDBValue[],
    span: { from?: number; to?: number },
    lower: number | undefined,
    upper: number | undefined,
    n: number,
  ): Promise<DuckDBValue[][]> {
    const source = this.source(
      max(span.from, lower === undefined ? undefined : lower + 1),
      min(span.to, upper),
    );
    if (source === null) return [];
    const all = [...params];
    let bounds = '';
    if (lower !== undefined) {
      all.push(lower);
      bounds += ` AND ts > make_timestamp($${all.length}::BIGINT)`;
    }
    if (upper !== undefined) {
      all.push(upper);
      bounds += ` AND ts <= make_timestamp($${all.length}::BIGINT)`;
    }
    return this.pool.rows(
      `SELECT ${SELECT_RECORD} FROM ${source} WHERE ${where}${bounds} ORDER BY ts DESC, id DESC LIMIT ${n}`,
      all,
      this.opts.queryTimeoutMs,
    );
  }

  async count(p: QueryParams): Promise<number> {
    return this.countWhere(p.query, this.where(p));
  }

  async timeBounds(p: QueryParams): Promise<{ from: number; to: number } | null> {
    const w = this.where(p);
    const source = this.source(w.from, w.to);
    if (source === null) return null;
    const rows = await this.pool.rows(
      `SELECT epoch_us(min(ts)), epoch_us(max(ts)) FROM ${source} WHERE ${w.sql}`,
      w.params,
      this.opts.queryTimeoutMs,
    );
    const [lo, hi] = rows[0]!;
    return lo === null ? null : { from: Number(lo as bigint), to: Number(hi as bigint) };
  }

  private async countWhere(
    query: QueryNode,
    w: { sql: string; params: DuckDBValue[]; from?: number; to?: number },
  ): Promise<number> {
    const source = this.source(w.from, w.to);
    if (source === null) return 0;
    if (onlyTime(query)) {
      // One bucket wider than any timestamp: the sum of the rollup rows is the count.
      const params: DuckDBValue[] = [];
      const sql = rollupCountsSql(source, 2 ** 62, w.from, w.to, params);
      const rows = await this.pool.rows(sql, params, this.opts.queryTimeoutMs);
      return rows.reduce((sum, r) => sum + Number(r[2] as bigint), 0);
    }
    const rows = await this.pool.rows(
      `SELECT count(*) FROM ${source} WHERE ${w.sql}`,
      w.params,
      this.opts.queryTimeoutMs,
    );
    return Number(rows[0]![0] as bigint);
  }

  async since(query: QueryNode, afterId: string, limit: number): Promise<OutputRecord[]> {
    const params: unknown[] = [afterId];
    const where = compileWhere(query, this.dialect, params);
    const rows = await this.pool.rows(
      `SELECT ${SELECT_RECORD} FROM ${VIEW} WHERE id > $1::UBIGINT AND ${where}
       ORDER BY id LIMIT ${Math.max(1, Math.floor(limit))}`,
      params as DuckDBValue[],
      this.opts.queryTimeoutMs,
    );
    return rows.map((r) => rowToRecord(r, this.attrColumns));
  }

  async histogram(p: HistogramParams): Promise<HistogramBucket[]> {
    const w = this.where(p);
    let interval = Math.max(1, Math.floor(p.intervalMicros));
    if (w.from !== undefined && w.to !== undefined) {
      interval = Math.max(interval, Math.ceil((w.to - w.from + 1) / MAX_BUCKETS));
    }
    const source = this.source(w.from, w.to);
    if (source === null) return [];
    let rows: DuckDBValue[][];
    if (onlyTime(p.query) && interval % MINUTE === 0) {
      const params: DuckDBValue[] = [];
      const sql = rollupCountsSql(source, interval, w.from, w.to, params);
      rows = await this.pool.rows(sql, params, this.opts.queryTimeoutMs);
    } else {
      const params = [...w.params, interval];
      const iv = `$${params.length}::BIGINT`;
      rows = await this.pool.rows(
        `SELECT (epoch_us(ts) // ${iv}) * ${iv} AS bucket, level, count(*) FROM ${source}
         WHERE ${w.sql} GROUP BY ALL ORDER BY bucket LIMIT ${MAX_BUCKETS * 6}`,
        params,
        this.opts.queryTimeoutMs,
      );
    }
    const buckets: HistogramBucket[] = [];
    for (const [bucket, level, count] of rows) {
      const ts = Number(bucket as bigint);
      let b = buckets[buckets.length - 1];
      if (!b || b.ts !== ts) {
        b = { ts, counts: {}, total: 0 };
        buckets.push(b);
      }
      const n = Number(count as bigint);
      b.counts[level as keyof HistogramBucket['counts']] = n;
      b.total += n;
    }
    return buckets;
  }

  async fields(p: FieldsParams): Promise<FieldSummary[]> {
    const { hits } = await this.search({ ...p, limit: p.sample, withTotal: false });
    return summariseFields(hits, p.top);
  }

  async context(id: string, before: number, after: number): Promise<ContextResult | null> {
    if (!/^\d{1,20}$/.test(id)) return null;
    const anchorRows = await this.pool.rows(
      `SELECT ${SELECT_RECORD} FROM ${VIEW} WHERE id = $1::UBIGINT LIMIT 1`,
      [id],
      this.opts.queryTimeoutMs,
    );
    if (anchorRows.length === 0) return null;
    const anchor = rowToRecord(anchorRows[0]!, this.attrColumns);
    const ts = Number(anchorRows[0]![1] as bigint);
    const side = async (older: boolean, n: number): Promise<OutputRecord[]> => {
      if (n <= 0) return [];
      const cmp = older ? '<' : '>';
      const dir = older ? 'DESC' : 'ASC';
      const rows = await this.pool.rows(
        `SELECT ${SELECT_RECORD} FROM ${VIEW}
         WHERE ts ${cmp} make_timestamp($1::BIGINT) OR (ts = make_timestamp($1::BIGINT) AND id ${cmp} $2::UBIGINT)
         ORDER BY ts ${dir}, id ${dir} LIMIT ${Math.floor(n)}`,
        [ts, id],
        this.opts.queryTimeoutMs,
      );
      return rows.map((r) => rowToRecord(r, this.attrColumns));
    };
    const [older, newer] = await Promise.all([side(true, before), side(false, after)]);
    return { anchor, before: older.reverse(), after: newer };
  }

  async *export(p: QueryParams): AsyncIterable<OutputRecord> {
    let cursor: Cursor | undefined;
    for (;;) {
      const page = await this.search({ ...p, limit: 5000, cursor, withTotal: false });
      yield* page.hits;
      if (!page.next) return;
      cursor = page.next;
    }
  }

  applyRetention(cutoff: number): Promise<number> {
    return this.exclusive(() => this.applyRetentionNow(cutoff));
  }

  private async applyRetentionNow(cutoff: number): Promise<number> {
    let removed = 0;
    const w = this.writer;
    await w.run('BEGIN TRANSACTION');
    try {
      for (const p of this.partitions) {
        if (p.end <= cutoff) {
          removed += Number(
            (await w.runAndReadAll(`SELECT count(*) FROM ${p.table}`)).getRows()[0]![0] as bigint,
          );
          await w.run(`DROP TABLE ${p.table}`);
        } else if (p.start < cutoff) {
          const res = await w.run(`DELETE FROM ${p.table} WHERE ts < make_timestamp($1::BIGINT)`, [cutoff]);
          removed += res.rowsChanged;
        }
      }
      const kept = this.partitions.filter((p) => p.end > cutoff);
      const dropped = kept.length !== this.partitions.length;
      this.partitions = kept;
      // Readers stop naming the dropped tables now; one already on its way may still meet a
      // missing table (a 500 once, at worst, every retention sweep that drops a day).
      this.visible = this.visible.filter((p) => p.end > cutoff);
      if (dropped) await w.run(this.viewSql());
      // The rollup forgets every minute the cutoff reaches into, then recounts what is left of
      // the cutoff's own minute.
      const boundary = Math.ceil(cutoff / MINUTE) * MINUTE;
      await w.run(`DELETE FROM ${ROLLUP_TABLE} WHERE minute < make_timestamp($1::BIGINT)`, [boundary]);
      await w.run(
        rollupInsertSql(VIEW, 'ts >= make_timestamp($1::BIGINT) AND ts < make_timestamp($2::BIGINT)'),
        [cutoff, boundary],
      );
      await w.run('COMMIT');
    } catch (err) {
      await w.run('ROLLBACK').catch(() => {});
      await this.refreshPartitions();
      throw err;
    }
    return removed;
  }

  async stats(): Promise<StoreStats> {
    const rows = await this.pool.rows(`SELECT count(*) FROM ${VIEW}`, [], this.opts.queryTimeoutMs);
    let bytesOnDisk = 0;
    for (const f of [this.file, `${this.file}.wal`]) {
      bytesOnDisk += await stat(f).then(
        (s) => s.size,
        () => 0,
      );
    }
    return { records: Number(rows[0]![0] as bigint), bytesOnDisk, partitions: this.partitions.length };
  }
}

/** Server-generated paths (spool, scratch), never a client's; quoted all the same. */
function readNdjson(files: string[]): string {
  const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(',');
  return `read_ndjson([${list}], columns = ${NDJSON_COLUMNS}, format = 'newline_delimited',
                     maximum_object_size = 16777216)`;
}

/** 'YYYY-MM-DD' when the whole range is inside one UTC day. */
function singleDay(b: PartBounds): string | null {
  const first = new Date(Math.floor(b.minTs / 1000)).toISOString().slice(0, 10);
  const last = new Date(Math.floor(b.maxTs / 1000)).toISOString().slice(0, 10);
  return first === last ? first : null;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function unionBounds(all: PartBounds[]): PartBounds {
  const out = { ...all[0]! };
  for (const b of all.slice(1)) widenBounds(out, b);
  return out;
}

function max(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function min(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
