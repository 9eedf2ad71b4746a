import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { OutputRecord } from '../../model/record.js';
import type { QueryNode } from '../../query/ast.js';
import { requiredTokens } from '../../query/required-tokens.js';
import { compileWhere } from '../../query/sql/compile.js';
import { extractTimeBounds } from '../../query/time.js';
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
import { AttributeCatalog } from './attribute-catalog.js';
import { BlockIndex, type BlockView } from './blocks.js';
import { DayAnswers, type DayQuestion, fromCounts } from './day-answers.js';
import { DayResults } from './day-results.js';
import { type DaySnapshot, DayTables, wholeTable } from './day-tables.js';
import { LOADED_DDL, Loader } from './loader.js';
import { MessagePatterns, PATTERN_GRAIN, patternCountSql, patternHistogramSql } from './message-patterns.js';
import { migrateColumns } from './migrate.js';
import { PatternIndexer } from './pattern-indexer.js';
import { ConnectionPool } from './pool.js';
import { applyRetention } from './retention.js';
import { MINUTE, onlyTime, openRollup, rollupCountsSql } from './rollup.js';
import { rowToRecord } from './rows.js';
import { type Partition, SELECT_RECORD, VIEW, wholeDay } from './schema.js';
import { branching, type Exec, type Where } from './where.js';

export interface DuckDbStoreOptions {
  /** Directory holding `sawmill.duckdb` (and a scratch folder for in-memory batches). */
  dir: string;
  queryTimeoutMs: number;
  /** DuckDB's buffer-manager limit; keeps the process's peak RSS bounded. */
  memoryLimit?: string;
  threads?: number;
  readers?: number;
  /**
   * Per-block token filters (blocks.ts); on unless SAWMILL_TOKEN_FILTERS=off, which exists for
   * the benchmark's with/without comparison.
   */
  tokenFilters?: boolean;
  /** Rows per token-filter block (blocks.ts); tests make it small. */
  tokenFilterBlockRows?: number;
  /**
   * Message patterns of closed days (message-patterns.ts); on unless
   * SAWMILL_MESSAGE_PATTERNS=off, which exists for the benchmark's with/without comparison.
   */
  messagePatterns?: boolean;
  /**
   * A closed day's patterns are counted once nothing has written to it for this long
   * (pattern-indexer.ts); default 30 s. 0: never in the background (tests call `countPatterns`).
   */
  patternQuietMs?: number;
  /**
   * Bound on the per-day cache of counting answers (day-results.ts), about one per number kept;
   * 0 turns it off (the benchmark's cold runs, tests comparing both).
   */
  dayResultsCost?: number;
}

/** Widths of the newest-first search slices (see `search`). */
const SEARCH_SLICES_MICROS = [3_600_000_000, 6 * 3_600_000_000, 24 * 3_600_000_000];
/**
 * With a filter on time only every row matches, so the newest page is the newest rows: a first
 * slice of a minute holds it whenever ingest is steady (~1,400 rows a minute at 10M over 7 days).
 * Its top-N sorts that minute's keys instead of an hour's (2.5 against 10.6 ms, measured at 10M).
 */
const TIME_ONLY_SLICES_MICROS = [60_000_000, ...SEARCH_SLICES_MICROS];
/** Admitted blocks a search window adds beyond the matches it still needs (false positives). */
const WINDOW_SLACK = 8;
/** Below this share of admitted blocks among the newest, a search starts with windows. */
const SPARSE_SHARE = 0.25;

export class DuckDbStore implements Store {
  private instance!: DuckDBInstance;
  private writer!: DuckDBConnection;
  private pool!: ConnectionPool;
  private readonly days = new DayTables();
  private readonly attributes = new AttributeCatalog();
  private loader!: Loader;
  private readonly blocks: BlockIndex;
  private readonly patterns: MessagePatterns;
  private indexer: PatternIndexer | null = null;
  /** Milliseconds spent in loads (the pattern indexer yields while they are most of the time). */
  private loadingMs = 0;
  /** Counting answers of unchanged day tables (null: off). */
  readonly dayResults: DayResults | null;
  /** Tail of the writer's queue (see `exclusive`). */
  private writing: Promise<unknown> = Promise.resolve();
  /** Newest record timestamp stored (µs); where newest-first search starts counting back. */
  private maxTs: number | undefined;
  /** Day tables whose count came from token-filter blocks, not a scan (diagnostics and tests). */
  countsFromBlocks = 0;
  /** Queries of newest-first windows counted in admitted blocks (diagnostics and tests). */
  searchWindows = 0;
  /** Queries of newest-first time slices (diagnostics and tests). */
  sliceQueries = 0;
  /** Day tables read with ASCII word classes (diagnostics and tests). */
  asciiReads = 0;
  private readonly answers: DayAnswers;

  constructor(private readonly opts: DuckDbStoreOptions) {
    this.blocks = new BlockIndex(
      opts.tokenFilters ?? process.env.SAWMILL_TOKEN_FILTERS !== 'off',
      opts.tokenFilterBlockRows,
    );
    this.patterns = new MessagePatterns(
      this.days,
      opts.messagePatterns ?? process.env.SAWMILL_MESSAGE_PATTERNS !== 'off',
    );
    const cost = opts.dayResultsCost ?? 1_000_000;
    this.dayResults = cost > 0 ? new DayResults(this.days, cost) : null;
    this.answers = new DayAnswers({
      days: this.days,
      dayResults: this.dayResults,
      patterns: this.patterns,
      where: (p) => this.where(p),
      onAscii: this.countAscii,
    });
  }

  /** Day tables answered from their message patterns' counts (diagnostics and tests). */
  get patternAnswers(): number {
    return this.answers.patternAnswers;
  }

  get file(): string {
    return path.join(this.opts.dir, 'sawmill.duckdb');
  }

  async open(): Promise<void> {
    await mkdir(path.join(this.opts.dir, 'scratch'), { recursive: true });
    this.instance = await DuckDBInstance.create(this.file, {
      threads: String(this.opts.threads ?? 2),
      memory_limit: this.opts.memoryLimit ?? '512MB',
      temp_directory: path.join(this.opts.dir, 'duckdb-tmp'),
      // A newest-first page is a top-N: with late materialization DuckDB sorts the keys alone and
      // reads the other columns of just the N rows kept. Its default only covers N <= 50, and a
      // page of 50 asks for 51 (to know whether another follows); 5,001 covers export's pages.
      // Measured at 10M: word newest-50 50 → 39 ms, regex 42 → 30, traceId 19 → 15.
      late_materialization_max_rows: '5001',
    });
    this.writer = await this.instance.connect();
    const w = this.writer;
    await w.run(LOADED_DDL);
    await this.days.open(w);
    await migrateColumns(w, this.days.tableNames());
    await this.days.refresh(w);
    await this.attributes.open(w);
    await openRollup(w);
    await this.blocks.open(w, this.days.tableNames());
    await this.patterns.open(w);
    const newest = (await w.runAndReadAll(`SELECT epoch_us(max(ts)) FROM ${VIEW}`)).getRows()[0]![0];
    this.maxTs = newest === null ? undefined : Number(newest as bigint);
    const scratchDir = path.join(this.opts.dir, 'scratch');
    this.loader = new Loader(w, this.days, this.blocks, this.patterns, scratchDir);
    this.pool = await ConnectionPool.create(this.instance, this.opts.readers ?? 4);
    if (this.patterns.enabled) {
      this.indexer = new PatternIndexer(
        {
          days: this.days,
          patterns: this.patterns,
          blocks: () => this.blocks.view(),
          // A day's count is one long read: its own deadline, far beyond a query's.
          onReader: (fn) => this.pool.with(30 * 60_000, fn),
          alone: (fn) => this.exclusive(() => fn(this.writer)),
          loadingMs: () => this.loadingMs,
          scratchDir,
        },
        { quietMs: this.opts.patternQuietMs ?? 30_000 },
      );
      if (this.opts.patternQuietMs !== 0) this.indexer.start();
    }
  }

  /** Count the message patterns of every closed day not counted yet, now (tests, maintenance). */
  async countPatterns(): Promise<number> {
    return this.indexer ? this.indexer.countAll() : 0;
  }

  /** Closed days counted and waiting (metrics; null when patterns are off). */
  patternStats(): { counted: number; waiting: number; countingMs: number } | null {
    if (!this.indexer) return null;
    const days = this.days.snapshot();
    return {
      counted: days.overlapping().filter((p) => days.patterned(p.table)).length,
      waiting: this.indexer.waiting().length,
      countingMs: this.indexer.countingMs,
    };
  }

  attributeColumns(): AttributeColumn[] {
    return this.attributes.columns;
  }

  addAttributeColumn(keys: string[]): Promise<AttributeColumn | null> {
    return this.exclusive(() => this.attributes.add(this.writer, keys));
  }

  async close(): Promise<void> {
    await this.indexer?.stop();
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
    return this.exclusive(async () => {
      const started = performance.now();
      const loaded = await this.loader.load(batch).finally(() => {
        this.loadingMs += performance.now() - started;
      });
      if (loaded.inserted > 0 && (this.maxTs === undefined || loaded.maxTs > this.maxTs)) {
        this.maxTs = loaded.maxTs;
      }
      return { inserted: loaded.inserted, appliedKeys: loaded.appliedKeys };
    });
  }

  /** How many token-filter blocks there are, and how many `query` would read. */
  tokenFilterStats(query: QueryNode): { blocks: number; admitted: number } {
    return this.blocks.view().stats(this.blocks.enabled ? requiredTokens(query) : null);
  }

  async maxId(): Promise<bigint> {
    const rows = await this.pool.rows(`SELECT coalesce(max(id), 0)::VARCHAR FROM ${VIEW}`, [], 60_000);
    return BigInt(rows[0]![0] as string);
  }

  /** A query plus time range, to compile into each statement that reads it. */
  private where(p: QueryParams): Where {
    const bounds = extractTimeBounds(p.query);
    const from = max(p.from, bounds.from);
    const to = min(p.to, bounds.to);
    const nowMs = Date.now(); // one "now" for every statement of the query
    const { dialect, asciiDialect } = this.attributes;
    const sql = (params: DuckDBValue[], ascii: boolean) => {
      const clauses = [compileWhere(p.query, ascii ? asciiDialect : dialect, params, nowMs)];
      if (from !== undefined) clauses.push(`ts >= make_timestamp($${params.push(from)}::BIGINT)`);
      if (to !== undefined) clauses.push(`ts <= make_timestamp($${params.push(to)}::BIGINT)`);
      return clauses.join(' AND ');
    };
    const unicode: unknown[] = [];
    const ascii: unknown[] = [];
    compileWhere(p.query, dialect, unicode, nowMs);
    compileWhere(p.query, asciiDialect, ascii, nowMs);
    return {
      sql,
      asciiMatters: unicode.some((v, i) => v !== ascii[i]),
      from,
      to,
      need: this.blocks.enabled ? requiredTokens(p.query) : null,
    };
  }

  async search(p: SearchParams): Promise<SearchResult> {
    if (p.withTotal === false) return this.searchWith(p, this.days.snapshot(), this.anyReader, false);
    // The page and its total must agree (a total of 1 beside an empty page confuses people and
    // programs alike): both run in one read transaction, so both see the same committed loads.
    return this.pool.with(this.opts.queryTimeoutMs, async (c) => {
      const days = this.days.snapshot(); // before BEGIN: the transaction then sees all of these
      await c.run('BEGIN TRANSACTION');
      try {
        return await this.searchWith(
          p,
          days,
          async (sql, params) => (await c.runAndReadAll(sql, params)).getRows(),
          true,
        );
      } finally {
        await c.run('COMMIT').catch(() => {});
      }
    });
  }

  private readonly countAscii = () => {
    this.asciiReads++;
  };

  /** Each query on whichever reader connection is free (no snapshot shared between them). */
  private readonly anyReader: Exec = (sql, params) => this.pool.rows(sql, params, this.opts.queryTimeoutMs);

  private async searchWith(
    p: SearchParams,
    days: DaySnapshot,
    exec: Exec,
    withTotal: boolean,
  ): Promise<SearchResult> {
    const w = this.where(p);
    const view = this.blocks.view();
    const rows: DuckDBValue[][] = [];
    const want = p.limit + 1; // one extra tells whether another page follows
    // Newest first, in time slices counted back from the newest record: the last hour, the last
    // 6 hours, the last day, then everything older. Rows are stored in time order, so a narrow
    // slice touches few row groups, and most pages fill in the first slice; a rare match costs a
    // cheap extra query before the full scan it needs anyway.
    const to = p.cursor ? min(w.to, p.cursor.ts) : w.to;
    const timeOnly = onlyTime(p.query);
    const slice = (lower: number | undefined, upper: number | undefined) =>
      this.page(
        days,
        exec,
        w,
        view,
        p.cursor,
        { from: w.from, to },
        lower,
        upper,
        want - rows.length,
        timeOnly,
      );
    if (days.overlapping(w.from, to).length > 0) {
      const top = min(to, this.maxTs);
      let upper: number | undefined;
      // Matches the filters say are sparse among the newest blocks skip the time slices: those
      // would read every row of the newest day in three steps, the windows below only blocks'.
      const sparse = w.need !== null && top !== undefined && view.admittedShare(w.need, top) < SPARSE_SHARE;
      // A trace or span id matches a handful of rows: slices would find none before the scan of
      // everything the page needs anyway (traceId at 10M: the one-hour slice was 5.5 of 29 ms).
      const slices = timeOnly ? TIME_ONLY_SLICES_MICROS : idNeedle(p.query) ? [] : SEARCH_SLICES_MICROS;
      for (const width of top === undefined || sparse ? [] : slices) {
        const lower = top! - width;
        if (w.from !== undefined && lower <= w.from) break;
        this.sliceQueries++;
        rows.push(...(await slice(lower, upper)));
        upper = lower;
        if (rows.length >= want) break;
        // At the rate matches turned up so far, would the page fill within the slices? If not
        // (a rare filter), wider slices would only repeat the scan piecemeal: do the rest at once.
        const needed =
          rows.length === 0 ? Number.POSITIVE_INFINITY : (width * (want - rows.length)) / rows.length;
        if (width + needed > SEARCH_SLICES_MICROS[SEARCH_SLICES_MICROS.length - 1]!) break;
      }
      if (rows.length < want && w.need !== null) {
        // Token filters: windows of admitted blocks, newest first, so a rare word reads the
        // newest rows that can hold it and stops when the page is full, instead of whole days.
        // The first window is sized at a little under one match per admitted block (a rare
        // word's usual rate, less false positives), so one window usually fills the page; later
        // ones from the rate seen so far.
        let hi = upper === undefined ? to : min(to, upper);
        let n = Math.ceil((want - rows.length) * 1.25) + WINDOW_SLACK;
        for (;;) {
          const lower = view.windowStart(w.need, n, w.from, hi ?? Number.POSITIVE_INFINITY);
          const before = rows.length;
          this.searchWindows++;
          rows.push(...(await slice(lower, hi)));
          if (rows.length >= want || lower === undefined) break;
          const found = rows.length - before;
          n = Math.max(2 * n, Math.ceil(((want - rows.length) * n) / Math.max(found, 1)) + WINDOW_SLACK);
          hi = lower;
        }
      } else if (rows.length < want) rows.push(...(await slice(undefined, upper)));
    }
    let next: Cursor | null = null;
    if (rows.length > p.limit) {
      rows.length = p.limit;
      const last = rows[rows.length - 1]!;
      next = { ts: Number(last[1] as bigint), id: last[0] as string };
    }
    const total = withTotal ? await this.countWhere(p.query, w, days, exec, view) : null;
    return { hits: rows.map((r) => rowToRecord(r, this.attributes.columns)), total, next };
  }

  /**
   * Newest-first matches of `w` with lower < ts <= upper (either bound optional) within `span`,
   * after `cursor`.
   */
  private async page(
    days: DaySnapshot,
    exec: Exec,
    w: Where,
    view: BlockView,
    cursor: Cursor | undefined,
    span: { from?: number; to?: number },
    lower: number | undefined,
    upper: number | undefined,
    n: number,
    everyRowMatches: boolean,
  ): Promise<DuckDBValue[][]> {
    const all: DuckDBValue[] = [];
    const source = days.source(
      max(span.from, lower === undefined ? undefined : lower + 1),
      min(span.to, upper),
      branching(view, w, all, this.countAscii),
    );
    if (source === null) return [];
    const bound = (op: string, v: number | undefined) =>
      v === undefined ? [] : [`ts ${op} make_timestamp($${all.push(v)}::BIGINT)`];
    const slice = [...bound('>', lower), ...bound('<=', upper)];
    if (cursor) {
      const t = `make_timestamp($${all.push(cursor.ts)}::BIGINT)`;
      slice.push(`(ts < ${t} OR (ts = ${t} AND id < $${all.push(cursor.id)}::UBIGINT))`);
    }
    const where = (conditions: string[]) =>
      conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const sql = (conditions: string[]) =>
      `SELECT ${SELECT_RECORD} FROM ${source} ${where(conditions)} ORDER BY ts DESC, id DESC`;
    if (!everyRowMatches) return exec(`${sql(slice)} LIMIT ${n}`, all);
    // Every row in the range matches (a filter on time only): take the keys of the newest n,
    // then the whole records of just those. In one step DuckDB decodes every column of every row
    // in the range before its top-n (a 1-hour window of 18k rows: 17 ms in one step, 8.5 in two).
    // With a real filter the one step is as fast or faster (a traceId: 12 vs 20 ms), so it stays.
    const keys = `SELECT id FROM ${source} ${where(slice)} ORDER BY ts DESC, id DESC LIMIT ${n}`;
    const range = [...slice, ...bound('>=', span.from), ...bound('<=', span.to)];
    return exec(sql([...range, `id IN (${keys})`]), all);
  }

  async count(p: QueryParams): Promise<number> {
    return this.countWhere(p.query, this.where(p));
  }

  /**
   * Oldest and newest matching timestamp. Day by day from each end: the newest day with a match
   * holds the newest, the oldest day with one the oldest, so a common query reads two days, not
   * all; each day's answer is kept in the day-results cache while the day is unchanged.
   */
  async timeBounds(p: QueryParams): Promise<{ from: number; to: number } | null> {
    const w = this.where(p);
    const days = this.days.snapshot();
    const view = this.blocks.view();
    const parts = days.overlapping(w.from, w.to); // newest first
    const question: DayQuestion<{ from: number; to: number } | false> = {
      kind: 'bounds',
      sql: (source) => `SELECT day, epoch_us(min(ts)), epoch_us(max(ts)) FROM ${source} GROUP BY day`,
      fromPatterns: (parts, pq, scope) => this.answers.patternBounds(parts, pq, scope),
      // Several rows of a day when some came from its patterns and some from its rows.
      fold: (rows) => {
        const found = rows.filter((r) => r[1] !== null);
        if (found.length === 0) return false;
        return {
          from: Math.min(...found.map((r) => Number(r[1] as bigint))),
          to: Math.max(...found.map((r) => Number(r[2] as bigint))),
        };
      },
      empty: false,
    };
    const scope = { days, w, query: p.query, view, exec: this.anyReader };
    const bounds = async (part: Partition) =>
      (await this.answers.ask({ ...scope, parts: [part] }, question))[0]!;
    let checked = 0; // days read from the newest end, the last of them the newest with a match
    let found: { from: number; to: number } | false = false;
    while (checked < parts.length && !found) found = await bounds(parts[checked++]!);
    if (!found) return null;
    for (let i = parts.length - 1; i >= checked; i--) {
      const b = await bounds(parts[i]!);
      if (b) return { from: b.from, to: found.to };
    }
    return found;
  }

  private async countWhere(
    query: QueryNode,
    w: Where,
    days: DaySnapshot = this.days.snapshot(),
    exec: Exec = this.anyReader,
    view: BlockView = this.blocks.view(),
  ): Promise<number> {
    const word = w.need === null ? null : countableWord(query);
    let counted = 0;
    let parts = days.overlapping(w.from, w.to);
    if (word !== null) {
      // A single word over whole days: the blocks' row counts, if they describe every row.
      const whole = parts.filter((p) => wholeDay(p, w.from, w.to));
      const exact = whole.flatMap((p) => {
        const e = view.exactCount(p.table, word.key, word.keywordValue);
        return e === null ? [] : [{ p, ...e }];
      });
      if (exact.length > 0) {
        const sizes = (
          await exec(`SELECT ${exact.map((e) => `(SELECT count(*) FROM ${e.p.table})`).join(', ')}`, [])
        )[0]!;
        const done = new Set<string>();
        exact.forEach((e, i) => {
          if (Number(sizes[i] as bigint) !== e.rows) return;
          counted += e.count;
          done.add(e.p.table);
        });
        parts = parts.filter((p) => !done.has(p.table));
        this.countsFromBlocks += done.size;
      }
    }
    const levels = rollupLevels(query);
    if (levels !== null) {
      const params: DuckDBValue[] = [];
      const source = days.sourceOf(parts, w.from, w.to, wholeTable);
      if (source === null) return counted;
      // One bucket wider than any timestamp: the sum of the rollup rows is the count.
      const sql = rollupCountsSql(source, 2 ** 62, w.from, w.to, params, levels);
      const rows = await exec(sql, params);
      return counted + rows.reduce((sum, r) => sum + Number(r[2] as bigint), 0);
    }
    const perDay = await this.answers.ask<number>(
      { days, parts, w, query, view, exec },
      {
        kind: 'count',
        sql: (source) => `SELECT day, count(*) FROM ${source} GROUP BY day`,
        fromPatterns: fromCounts(patternCountSql),
        fold: (rows) => rows.reduce((sum, r) => sum + Number(r[1] as bigint), 0),
        empty: 0,
      },
    );
    return counted + perDay.reduce((a, b) => a + b, 0);
  }

  async since(query: QueryNode, afterId: string, limit: number, throughId?: string): Promise<OutputRecord[]> {
    const params: unknown[] = [afterId];
    const upper = throughId === undefined ? '' : `id <= $${params.push(throughId)}::UBIGINT AND `;
    const where = compileWhere(query, this.attributes.dialect, params);
    const rows = await this.pool.rows(
      `SELECT ${SELECT_RECORD} FROM ${VIEW} WHERE id > $1::UBIGINT AND ${upper}${where}
       ORDER BY id LIMIT ${Math.max(1, Math.floor(limit))}`,
      params as DuckDBValue[],
      this.opts.queryTimeoutMs,
    );
    return rows.map((r) => rowToRecord(r, this.attributes.columns));
  }

  async histogram(p: HistogramParams): Promise<HistogramBucket[]> {
    // Ends that are the matches' own bounds are read as open: the same rows, in whole days.
    const w = this.where({
      ...p,
      from: p.fromIsOldestMatch ? undefined : p.from,
      to: p.toIsNewestMatch ? undefined : p.to,
    });
    // The buckets still span only the asked range (as `where` narrows it by the query's own).
    const from = max(p.from, w.from);
    const to = min(p.to, w.to);
    let interval = Math.max(1, Math.floor(p.intervalMicros));
    if (from !== undefined && to !== undefined) {
      interval = Math.max(interval, Math.ceil((to - from + 1) / MAX_BUCKETS));
    }
    const days = this.days.snapshot();
    let rows: DuckDBValue[][];
    const levels = rollupLevels(p.query);
    if (levels !== null && interval % MINUTE === 0) {
      const params: DuckDBValue[] = [];
      const source = days.source(w.from, w.to, wholeTable);
      if (source === null) return [];
      const sql = rollupCountsSql(source, interval, w.from, w.to, params, levels);
      rows = await this.pool.rows(sql, params, this.opts.queryTimeoutMs);
    } else {
      // Counts per (bucket, level) of each day: a bucket wider than a day sums several days'.
      const parts = days.overlapping(w.from, w.to);
      const perDay = await this.answers.ask<DuckDBValue[][]>(
        { days, parts, w, query: p.query, view: this.blocks.view(), exec: this.anyReader },
        {
          kind: `histogram:${interval}`,
          sql: (source, params) => {
            const iv = `$${params.push(interval)}::BIGINT`;
            return `SELECT day, (epoch_us(ts) // ${iv}) * ${iv} AS bucket, level, count(*) FROM ${source} GROUP BY ALL`;
          },
          // Grains fall wholly into one bucket only if the bucket is a whole number of them.
          fromPatterns:
            interval % PATTERN_GRAIN === 0
              ? fromCounts((tables, pq, params) => patternHistogramSql(tables, pq, interval, params))
              : undefined,
          // Numbers, not BigInts: a kept answer costs less (bucket and count are far below 2^53).
          fold: (dayRows) => dayRows.map((r) => [Number(r[1] as bigint), r[2]!, Number(r[3] as bigint)]),
          empty: [],
        },
      );
      rows = perDay.flat();
    }
    const buckets = new Map<number, HistogramBucket>();
    for (const [bucket, level, count] of rows) {
      const ts = Number(bucket);
      let b = buckets.get(ts);
      if (!b) {
        b = { ts, counts: {}, total: 0 };
        buckets.set(ts, b);
      }
      const n = Number(count);
      const l = level as keyof HistogramBucket['counts'];
      b.counts[l] = (b.counts[l] ?? 0) + n;
      b.total += n;
    }
    return [...buckets.values()].sort((a, b) => a.ts - b.ts).slice(0, MAX_BUCKETS);
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
    if (!/^\d{1,20}$/.test(id)) return null;
    // `within` is compiled into each statement after its own parameters ($1, $2).
    const filtered = (params: unknown[]) => compileWhere(within, this.attributes.dialect, params);
    const anchorParams: unknown[] = [id];
    const anchorRows = await this.pool.rows(
      `SELECT ${SELECT_RECORD} FROM ${VIEW} WHERE id = $1::UBIGINT AND ${filtered(anchorParams)} LIMIT 1`,
      anchorParams as DuckDBValue[],
      this.opts.queryTimeoutMs,
    );
    if (anchorRows.length === 0) return null;
    const anchor = rowToRecord(anchorRows[0]!, this.attributes.columns);
    const ts = Number(anchorRows[0]![1] as bigint);
    const side = async (older: boolean, n: number): Promise<OutputRecord[]> => {
      if (n <= 0) return [];
      const cmp = older ? '<' : '>';
      const dir = older ? 'DESC' : 'ASC';
      const params: unknown[] = [ts, id];
      const rows = await this.pool.rows(
        `SELECT ${SELECT_RECORD} FROM ${VIEW}
         WHERE (ts ${cmp} make_timestamp($1::BIGINT) OR (ts = make_timestamp($1::BIGINT) AND id ${cmp} $2::UBIGINT))
           AND ${filtered(params)}
         ORDER BY ts ${dir}, id ${dir} LIMIT ${Math.floor(n)}`,
        params as DuckDBValue[],
        this.opts.queryTimeoutMs,
      );
      return rows.map((r) => rowToRecord(r, this.attributes.columns));
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
    return this.exclusive(() => applyRetention(this.writer, this.days, this.blocks, this.patterns, cutoff));
  }

  /** DuckDB's memory by tag (its buffer manager's view: what `memory_limit` bounds), bytes. */
  async memory(): Promise<Record<string, number>> {
    const rows = await this.pool.rows(
      'SELECT tag, memory_usage_bytes FROM duckdb_memory()',
      [],
      this.opts.queryTimeoutMs,
    );
    return Object.fromEntries(rows.map(([tag, bytes]) => [String(tag), Number(bytes as bigint)]));
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
    return { records: Number(rows[0]![0] as bigint), bytesOnDisk, partitions: this.days.count };
  }
}

/** Does every match of `query` have one given traceId or spanId (`traceId:4bf9…`, alone or ANDed)? */
function idNeedle(query: QueryNode): boolean {
  if (query.kind === 'and') return query.children.some(idNeedle);
  return (
    (query.kind === 'term' || query.kind === 'phrase') &&
    (query.field === 'traceId' || query.field === 'spanId')
  );
}

/**
 * A query that is one word of one ASCII word run (`timeout`, `time_out`, not `foo.bar` or `404`):
 * its count can come from the blocks' token counts (blocks.ts `exactCount`).
 */
function countableWord(query: QueryNode): { key: string; keywordValue: string | null } | null {
  if (query.kind !== 'term' && query.kind !== 'phrase') return null;
  if (query.field !== null && query.field !== 'message') return null;
  if (!/^[A-Za-z0-9_]*[A-Za-z_][A-Za-z0-9_]*$/.test(query.value)) return null;
  return { key: query.value.toLowerCase(), keywordValue: query.field === null ? query.value : null };
}

function max(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function min(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
