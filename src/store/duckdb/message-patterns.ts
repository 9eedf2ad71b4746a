import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { KEYWORD_FIELDS, type KeywordField, type Level } from '../../model/record.js';
import type { QueryNode } from '../../query/ast.js';
import { compileWhere } from '../../query/sql/compile.js';
import type { SqlDialect } from '../../query/sql/dialect.js';
import { ASCII_WORD_CHARS, duckdbDialect } from '../../query/sql/duckdb.js';
import { rollupLevels } from '../level-filter.js';
import type { DayTables } from './day-tables.js';

/**
 * Message patterns of closed days: each message with every run of word characters that holds a
 * digit replaced by `0` ("connection refused by 10.0.0.7:5432" → "connection refused by
 * 0.0.0.0:0"), counted per day table, 10 minutes and level. Log lines come from a few hundred
 * format strings (the bench's 10M records: 306 patterns), so the histogram, count or time
 * bounds of a word or phrase over a closed day is a sum over the patterns that match it, not a
 * scan of every message (the all-time histogram of a phrase at 10M: 31 against 780 ms,
 * bench/results/2026-12-04-10000000-templates.md). Loki's and Datadog's "patterns" are the same
 * idea; counting them at ingest measured 2–7 µs a record of load CPU, so a day is counted once,
 * in the background, after it has stopped changing (pattern-indexer.ts).
 *
 * Why the sums are exact: a word or phrase without digits can never match across a run holding
 * a digit (its ends sit at word boundaries, where they are word characters, and it has no digit
 * to cover one), and replacing such a run by another such run keeps every other character, so
 * a message matches the word or phrase exactly when its pattern does. A bare value also matches
 * keyword fields exactly; those rows (`residual`) are still read from the table, through the
 * keyword columns.
 *
 * Which days are counted, and at which write generation (day-tables.ts), is in DayTables; a
 * load or retention writing to a counted table first deletes its `sawmill_pattern_days` row in
 * its own transaction, so after a crash no changed day is taken for counted. Counts of a table
 * stay until it is counted again: a query that took the table for counted before such a load
 * committed still reads the counts of what it saw.
 */
export const PATTERNS_TABLE = 'sawmill_patterns';
export const PATTERN_COUNTS_TABLE = 'sawmill_pattern_counts';
export const PATTERN_DAYS_TABLE = 'sawmill_pattern_days';
/** Counts are per this many µs; a histogram whose buckets are whole multiples of it can use them. */
export const PATTERN_GRAIN = 10 * 60_000_000;

/** A run of word characters holding a digit, in RE2 (the query's word classes, schema's ASCII ones). */
const UNICODE_RUN = '[\\pL\\pM\\pN_]*\\pN[\\pL\\pM\\pN_]*';
const ASCII_RUN = `[${ASCII_WORD_CHARS}]*[0-9][${ASCII_WORD_CHARS}]*`;

/**
 * A day's pattern of each message as SQL: rows up to block `asciiThrough` hold ASCII messages
 * only (blocks.ts), where the ASCII classes match the same and RE2 runs them much faster.
 */
export function patternOf(asciiThrough: number | null): string {
  const unicode = `regexp_replace(message, '${UNICODE_RUN}', '0', 'g')`;
  if (asciiThrough === null) return unicode;
  return `CASE WHEN blk <= ${Math.floor(asciiThrough)} THEN regexp_replace(message, '${ASCII_RUN}', '0', 'g') ELSE ${unicode} END`;
}

/** What `count` found in a day table (pattern-indexer.ts). */
export interface DayPatterns {
  /** Rows of the table when counted. */
  rows: number;
  /** Distinct patterns and their total length in characters. */
  distinct: number;
  chars: number;
}

export class MessagePatterns {
  /** Tables with a row in PATTERN_DAYS_TABLE (committed or in the writer's open transaction). */
  private persisted = new Set<string>();
  /**
   * Every pattern text is ASCII: the query's match on them may then use ASCII word classes,
   * which RE2 builds in a fraction of the time (query/sql/duckdb.ts). Turns false before a day
   * with other text is taken for counted, so no query reads its counts with ASCII classes.
   */
  asciiOnly = true;

  constructor(
    private readonly days: DayTables,
    /** Off: nothing is counted, no day is answered from patterns (the bench's comparison). */
    readonly enabled = true,
  ) {}

  /**
   * Create the tables and take every day whose row count still matches what was counted as
   * counted at its generation since open (0); drop what does not match. Off, the counts are
   * left as they are: loads and retention still delete the row of a day they write to, so they
   * stay true for a later start with patterns on.
   */
  async open(w: DuckDBConnection): Promise<void> {
    await w.run(`CREATE TABLE IF NOT EXISTS ${PATTERNS_TABLE} (id INTEGER NOT NULL, text VARCHAR NOT NULL)`);
    await w.run(`CREATE TABLE IF NOT EXISTS ${PATTERN_COUNTS_TABLE} (
      tbl VARCHAR NOT NULL, grain TIMESTAMP NOT NULL, level VARCHAR NOT NULL, pattern INTEGER NOT NULL, n BIGINT NOT NULL)`);
    await w.run(
      `CREATE TABLE IF NOT EXISTS ${PATTERN_DAYS_TABLE} (tbl VARCHAR NOT NULL, rows BIGINT NOT NULL)`,
    );
    await this.refresh(w);
    if (!this.enabled) return;
    const tables = new Set(this.days.writerView().map((p) => p.table));
    const rows = (await w.runAndReadAll(`SELECT tbl, rows FROM ${PATTERN_DAYS_TABLE}`)).getRows();
    const stale: string[] = [];
    for (const [tbl, n] of rows) {
      const table = tbl as string;
      const ok =
        tables.has(table) &&
        Number((await w.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]![0] as bigint) ===
          Number(n as bigint);
      if (ok) this.days.setPatterned(table, 0);
      else stale.push(table);
    }
    if (stale.length > 0) {
      await w.run('BEGIN TRANSACTION');
      await this.drop(w, stale);
      await w.run('COMMIT');
    }
  }

  /** What the database says (at open, and after a rolled-back transaction). */
  async refresh(w: DuckDBConnection): Promise<void> {
    const rows = (await w.runAndReadAll(`SELECT tbl FROM ${PATTERN_DAYS_TABLE}`)).getRows();
    this.persisted = new Set(rows.map((r) => r[0] as string));
    // strlen counts bytes, length characters: equal only for ASCII.
    const other = (
      await w.runAndReadAll(`SELECT count(*) FROM ${PATTERNS_TABLE} WHERE strlen(text) <> length(text)`)
    ).getRows()[0]![0];
    this.asciiOnly = Number(other as bigint) === 0;
  }

  /** Inside the writer's transaction, before it changes `table`'s rows: it is no longer counted. */
  async forget(w: DuckDBConnection, table: string): Promise<void> {
    if (!this.persisted.has(table)) return;
    await w.run(`DELETE FROM ${PATTERN_DAYS_TABLE} WHERE tbl = $1`, [table]);
    this.persisted.delete(table);
  }

  /** Inside the writer's transaction: forget these tables and their counts (retention drops them). */
  async drop(w: DuckDBConnection, tables: readonly string[]): Promise<void> {
    if (tables.length === 0) return;
    const list = tables.map((_, i) => `$${i + 1}`).join(', ');
    await w.run(`DELETE FROM ${PATTERN_DAYS_TABLE} WHERE tbl IN (${list})`, [...tables]);
    await w.run(`DELETE FROM ${PATTERN_COUNTS_TABLE} WHERE tbl IN (${list})`, [...tables]);
    await w.run(
      `DELETE FROM ${PATTERNS_TABLE} WHERE id NOT IN (SELECT DISTINCT pattern FROM ${PATTERN_COUNTS_TABLE})`,
    );
    for (const t of tables) this.persisted.delete(t);
  }

  /**
   * On a reader, in one transaction: `table`'s counts by grain, level and pattern written to
   * `file` (Parquet), and what they hold. Reads every message of the table once.
   */
  async count(
    c: DuckDBConnection,
    table: string,
    asciiThrough: number | null,
    file: string,
  ): Promise<DayPatterns> {
    await c.run('BEGIN TRANSACTION');
    try {
      const rows = Number(
        (await c.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]![0] as bigint,
      );
      await c.run(
        `COPY (SELECT (epoch_us(ts) // ${PATTERN_GRAIN}) * ${PATTERN_GRAIN} AS grain, level,
                ${patternOf(asciiThrough)} AS text, count(*)::BIGINT AS n
              FROM ${table} GROUP BY ALL ORDER BY grain)
         TO '${quoted(file)}' (FORMAT parquet)`,
      );
      const [distinct, chars] = (
        await c.runAndReadAll(
          `SELECT count(*), coalesce(sum(length(text)), 0) FROM (SELECT DISTINCT text FROM read_parquet('${quoted(file)}'))`,
        )
      ).getRows()[0]!;
      return { rows, distinct: Number(distinct as bigint), chars: Number(chars as bigint) };
    } finally {
      await c.run('COMMIT').catch(() => {});
    }
  }

  /**
   * Distinct patterns among a sample of `table`'s messages: a day whose sample is mostly
   * distinct carries its variety in words, where patterns would cost more than they save.
   */
  async sampleDistinct(
    c: DuckDBConnection,
    table: string,
    asciiThrough: number | null,
    n: number,
  ): Promise<number> {
    const rows = await c.runAndReadAll(
      `SELECT count(DISTINCT text) FROM (SELECT ${patternOf(asciiThrough)} AS text FROM ${table} USING SAMPLE ${Math.floor(n)} ROWS)`,
    );
    return Number(rows.getRows()[0]![0] as bigint);
  }

  /**
   * On the writer, alone: keep the counts `count` wrote to `file` as `table`'s, in one
   * transaction; the caller has checked the table is still at the generation counted.
   */
  async keep(w: DuckDBConnection, table: string, file: string, counted: DayPatterns): Promise<void> {
    await w.run('BEGIN TRANSACTION');
    try {
      await w.run(
        `CREATE OR REPLACE TEMP TABLE pattern_incoming AS SELECT * FROM read_parquet('${quoted(file)}')`,
      );
      await w.run(
        `INSERT INTO ${PATTERNS_TABLE}
         SELECT (SELECT coalesce(max(id), 0) FROM ${PATTERNS_TABLE}) + row_number() OVER (ORDER BY text), text
         FROM (SELECT DISTINCT text FROM pattern_incoming WHERE text NOT IN (SELECT text FROM ${PATTERNS_TABLE}))`,
      );
      await w.run(`DELETE FROM ${PATTERN_COUNTS_TABLE} WHERE tbl = $1`, [table]);
      await w.run(
        `INSERT INTO ${PATTERN_COUNTS_TABLE}
         SELECT $1, make_timestamp(i.grain), i.level, p.id, i.n
         FROM pattern_incoming i JOIN ${PATTERNS_TABLE} p USING (text) ORDER BY i.grain`,
        [table],
      );
      await w.run(`DELETE FROM ${PATTERN_DAYS_TABLE} WHERE tbl = $1`, [table]);
      await w.run(`INSERT INTO ${PATTERN_DAYS_TABLE} VALUES ($1, $2)`, [table, counted.rows]);
      await w.run('DROP TABLE pattern_incoming');
      await w.run('COMMIT');
      await this.refresh(w);
    } catch (err) {
      await w.run('ROLLBACK').catch(() => {});
      await this.refresh(w);
      throw err;
    }
  }
}

/**
 * How patterns answer a query: one word or phrase of ASCII text without digits, on the message
 * or bare (then also an exact keyword value: `residual` reads those rows from the table), alone
 * or ANDed with filters on level and time (`levels`: the levels they keep, null for all).
 */
export interface PatternQuery {
  /** The word or phrase, on the message (its value is what a bare one also matches exactly). */
  message: Extract<QueryNode, { kind: 'phrase' }>;
  levels: Level[] | null;
  /** The matches the patterns do not count: keyword values equal to a bare word, not in the message. */
  residual: QueryNode | null;
  /** Every pattern text is ASCII (MessagePatterns `asciiOnly`, set by the store). */
  asciiText?: boolean;
}

export function patternQuery(query: QueryNode): PatternQuery | null {
  const children = query.kind === 'and' ? query.children : [query];
  const values = children.filter(patternable);
  if (values.length !== 1) return null;
  const value = values[0] as Extract<QueryNode, { kind: 'term' | 'phrase' }>;
  const rest = children.filter((c) => c !== value);
  const levels = rest.length === 0 ? null : rollupLevels({ kind: 'and', children: rest });
  if (rest.length > 0 && levels === null) return null;
  const message: PatternQuery['message'] = { kind: 'phrase', field: 'message', value: value.value };
  if (value.field === 'message') return { message, levels, residual: null };
  const keywords: QueryNode = {
    kind: 'or',
    children: KEYWORD_FIELDS.map((field) => ({ kind: 'phrase' as const, field, value: value.value })),
  };
  return {
    message,
    levels,
    residual: { kind: 'and', children: [...rest, keywords, { kind: 'not', child: message }] },
  };
}

function patternable(node: QueryNode): boolean {
  if (node.kind !== 'term' && node.kind !== 'phrase') return false;
  if (node.field !== null && node.field !== 'message') return false;
  // Printable ASCII without digits, with a letter or `_` (a word to match).
  return /^[\x20-\x2f\x3a-\x7e]*$/.test(node.value) && /[A-Za-z_]/.test(node.value);
}

/** The ids of the patterns `q` matches, as a subquery (the query's own compiled match, on `text`). */
function matching(q: PatternQuery, params: DuckDBValue[]): string {
  const onText: SqlDialect = {
    ...duckdbDialect,
    ...(q.asciiText ? { regexWordChars: ASCII_WORD_CHARS } : {}),
    column: (f) => (f === 'message' ? 'text' : duckdbDialect.column(f)),
  };
  return `SELECT id FROM ${PATTERNS_TABLE} WHERE ${compileWhere(q.message, onText, params)}`;
}

/** The counts rows of `tables` for `q`'s patterns and levels, as a WHERE condition. */
function countsWhere(tables: readonly string[], q: PatternQuery, params: DuckDBValue[]): string {
  const p = (v: DuckDBValue) => `$${params.push(v)}`;
  const c = [`tbl IN (${tables.map(p).join(', ')})`, `pattern IN (${matching(q, params)})`];
  if (q.levels !== null) c.push(q.levels.length === 0 ? 'false' : `level IN (${q.levels.map(p).join(', ')})`);
  return c.join(' AND ');
}

/** (day, count) rows: `q`'s matches in each of `tables`, from their counts. */
export function patternCountSql(tables: readonly string[], q: PatternQuery, params: DuckDBValue[]): string {
  return `SELECT tbl, sum(n)::BIGINT FROM ${PATTERN_COUNTS_TABLE} WHERE ${countsWhere(tables, q, params)} GROUP BY tbl`;
}

/** (day, bucket µs, level, count) rows; `interval` is a whole number of grains. */
export function patternHistogramSql(
  tables: readonly string[],
  q: PatternQuery,
  interval: number,
  params: DuckDBValue[],
): string {
  const iv = `$${params.push(interval)}::BIGINT`;
  return `SELECT tbl, (epoch_us(grain) // ${iv}) * ${iv}, level, sum(n)::BIGINT FROM ${PATTERN_COUNTS_TABLE}
    WHERE ${countsWhere(tables, q, params)} GROUP BY ALL`;
}

/** (day, oldest grain µs, newest grain µs) rows: the grains of each table holding a match. */
export function patternGrainsSql(tables: readonly string[], q: PatternQuery, params: DuckDBValue[]): string {
  return `SELECT tbl, epoch_us(min(grain)), epoch_us(max(grain)) FROM ${PATTERN_COUNTS_TABLE}
    WHERE ${countsWhere(tables, q, params)} AND n > 0 GROUP BY tbl`;
}

/**
 * The number of rows where a keyword field equals `value`, over each table's candidate fields
 * (`fields`: those the token-filter blocks cannot rule out). Each field is its own scan: DuckDB
 * pushes one equality into the scan, but not an OR across columns (18 against 130 ms over 10M
 * rows, measured). Nearly always 0, and then the residual need not be read. Null: nothing to ask.
 */
export function keywordProbeSql(
  fields: ReadonlyArray<{ table: string; fields: readonly KeywordField[] }>,
  value: string,
  params: DuckDBValue[],
): string | null {
  const counts = fields.flatMap(({ table, fields }) =>
    fields.map(
      (field) =>
        `(SELECT count(*) FROM ${table} WHERE ${compileWhere({ kind: 'phrase', field, value }, duckdbDialect, params)})`,
    ),
  );
  return counts.length === 0 ? null : `SELECT ${counts.join(' + ')}`;
}

/** Paths are the server's own (its scratch folder); quoted all the same. */
function quoted(file: string): string {
  return file.replaceAll("'", "''");
}
