import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { QueryNode } from '../../query/ast.js';
import { compileWhere } from '../../query/sql/compile.js';
import type { SqlDialect } from '../../query/sql/dialect.js';

/**
 * Message templates: each message with every run of word characters that holds a number
 * replaced by `0` ("connection refused by 10.0.0.7:5432" → "connection refused by 0.0.0.0:0"),
 * counted per 10 minutes and level beside the day tables, in the load's transaction. A histogram
 * of a word or phrase without digits is then a sum over the templates that match it instead of a
 * scan of every message: on the bench's 10M records, 306 templates, 31 ms against 780 ms for
 * the all-time histogram of "connection refused" (bench/results/2026-12-04-10000000-templates.md).
 *
 * Why it is exact: a word or phrase with no digit can never match across a run holding a digit
 * (its ends sit at word boundaries and it has no digit to cover one), and replacing such a run by
 * another such run keeps every character around it, so a message matches the word or phrase
 * exactly when its template does. The text is ASCII-only, so JavaScript and RE2 agree on what a
 * digit is.
 *
 * Coverage: only day tables created while templates were kept are counted whole
 * (`sawmill_template_days`); a query over any other day, or a stream whose messages are too
 * varied for templates to help (then its days drop out), is answered by the scan as before.
 */
export const TEMPLATES_TABLE = 'sawmill_message_templates';
export const TEMPLATE_COUNTS_TABLE = 'sawmill_template_counts';
export const TEMPLATE_DAYS_TABLE = 'sawmill_template_days';
/** Counts are per this many µs; a histogram whose buckets are whole multiples of it can use them. */
export const TEMPLATE_GRAIN = 10 * 60_000_000;
/** A larger dictionary means messages carry their variety in words, not numbers: stop there. */
const MAX_TEMPLATES = 50_000;

const WORD = '\\pL\\pM\\pN_';
/** The template of `column` in SQL (RE2: the same character classes as the query's word matching). */
export const templateOf = (column: string) =>
  `regexp_replace(${column}, '[${WORD}]*\\pN[${WORD}]*', '0', 'g')`;
const grainOf = (column: string) =>
  `make_timestamp((epoch_us(${column}) // ${TEMPLATE_GRAIN}) * ${TEMPLATE_GRAIN})`;

export class MessageTemplates {
  private covered: ReadonlySet<string> = new Set();
  private size = 0;

  /** Off: nothing is counted and no day is covered (the benchmark's comparison). */
  constructor(private readonly enabled = true) {}

  async open(w: DuckDBConnection): Promise<void> {
    await w.run(`CREATE TABLE IF NOT EXISTS ${TEMPLATES_TABLE} (id INTEGER NOT NULL, text VARCHAR NOT NULL)`);
    await w.run(`CREATE TABLE IF NOT EXISTS ${TEMPLATE_COUNTS_TABLE} (
      grain TIMESTAMP NOT NULL, level VARCHAR NOT NULL, tpl INTEGER NOT NULL, n BIGINT NOT NULL)`);
    await w.run(`CREATE TABLE IF NOT EXISTS ${TEMPLATE_DAYS_TABLE} (tbl VARCHAR NOT NULL)`);
    await this.refresh(w);
    await w.run('BEGIN TRANSACTION');
    await this.compact(w);
    await w.run('COMMIT');
  }

  /** What the database says (at open, and after a rolled-back load). */
  async refresh(w: DuckDBConnection): Promise<void> {
    const rows = (await w.runAndReadAll(`SELECT tbl FROM ${TEMPLATE_DAYS_TABLE}`)).getRows();
    this.covered = new Set(rows.map((r) => r[0] as string));
    const n = (await w.runAndReadAll(`SELECT count(*) FROM ${TEMPLATES_TABLE}`)).getRows()[0]![0];
    this.size = Number(n as bigint);
  }

  /** Whether every row of each of these day tables is counted. */
  coversAll(tables: readonly string[]): boolean {
    return tables.every((t) => this.covered.has(t));
  }

  /**
   * Inside a load's transaction, after its rows went into `tables` (`created`: those the load
   * made): count the rows of `source` matching `where`. Days that cannot be counted whole any
   * more leave the coverage.
   */
  async count(
    w: DuckDBConnection,
    load: { tables: string[]; created: string[]; rows: number },
    source: string,
    where: string,
    params: DuckDBValue[],
  ): Promise<void> {
    if (!this.enabled) return this.uncover(w, load.tables);
    const next = new Set(this.covered);
    for (const t of load.created) {
      await w.run(`INSERT INTO ${TEMPLATE_DAYS_TABLE} VALUES ($1)`, [t]);
      next.add(t);
    }
    const targets = load.tables.filter((t) => next.has(t));
    this.covered = next;
    if (targets.length === 0) return;
    await w.run(
      `CREATE OR REPLACE TEMP TABLE template_incoming AS
       SELECT ${grainOf('ts')} AS grain, level, ${templateOf('message')} AS text, count(*)::BIGINT AS n
       FROM ${source} WHERE ${where} GROUP BY ALL`,
      params,
    );
    const fresh = Number(
      (
        await w.runAndReadAll(
          `SELECT count(DISTINCT text) FROM template_incoming
           WHERE text NOT IN (SELECT text FROM ${TEMPLATES_TABLE})`,
        )
      ).getRows()[0]![0] as bigint,
    );
    // A steady stream adds no template once warmed up; one adding many per load has messages
    // that differ in their words, where templates would cost more than they save.
    if (this.size + fresh > MAX_TEMPLATES || fresh > 64 + load.rows / 8) {
      await this.uncover(w, targets);
    } else {
      await w.run(
        `INSERT INTO ${TEMPLATES_TABLE}
         SELECT ${this.size} + row_number() OVER (ORDER BY text), text FROM (
           SELECT DISTINCT text FROM template_incoming WHERE text NOT IN (SELECT text FROM ${TEMPLATES_TABLE}))`,
      );
      this.size += fresh;
      await w.run(
        `INSERT INTO ${TEMPLATE_COUNTS_TABLE}
         SELECT i.grain, i.level, t.id, i.n FROM template_incoming i JOIN ${TEMPLATES_TABLE} t USING (text)`,
      );
    }
    await w.run('DROP TABLE template_incoming');
  }

  /** These tables' rows are no longer all counted (the counts of the others stay valid). */
  async uncover(w: DuckDBConnection, tables: readonly string[]): Promise<void> {
    const gone = tables.filter((t) => this.covered.has(t));
    if (gone.length === 0) return;
    await w.run(
      `DELETE FROM ${TEMPLATE_DAYS_TABLE} WHERE tbl IN (${gone.map((_, i) => `$${i + 1}`).join(', ')})`,
      gone,
    );
    const next = new Set(this.covered);
    for (const t of gone) next.delete(t);
    this.covered = next;
  }

  /** Fold the rows of each (grain, level, template) into one; inside the caller's transaction. */
  async compact(w: DuckDBConnection): Promise<void> {
    await w.run(
      `CREATE OR REPLACE TEMP TABLE template_compact AS
       SELECT grain, level, tpl, sum(n)::BIGINT AS n FROM ${TEMPLATE_COUNTS_TABLE} GROUP BY ALL ORDER BY grain`,
    );
    await w.run(`DELETE FROM ${TEMPLATE_COUNTS_TABLE}`);
    await w.run(`INSERT INTO ${TEMPLATE_COUNTS_TABLE} SELECT * FROM template_compact`);
    await w.run('DROP TABLE template_compact');
  }

  /**
   * Retention, inside its transaction: forget the grains before `cutoff`'s and recount what is
   * left of its own from `view` (rows at or after the cutoff).
   */
  async retain(w: DuckDBConnection, cutoff: number, view: string): Promise<void> {
    const first = Math.floor(cutoff / TEMPLATE_GRAIN) * TEMPLATE_GRAIN;
    await w.run(`DELETE FROM ${TEMPLATE_COUNTS_TABLE} WHERE grain <= make_timestamp($1::BIGINT)`, [first]);
    await w.run(
      `INSERT INTO ${TEMPLATE_COUNTS_TABLE}
       SELECT ${grainOf('ts')}, level, t.id, count(*)::BIGINT FROM ${view} JOIN ${TEMPLATES_TABLE} t
         ON t.text = ${templateOf('message')}
       WHERE ts >= make_timestamp($1::BIGINT) AND ts < make_timestamp($2::BIGINT) GROUP BY ALL`,
      [cutoff, first + TEMPLATE_GRAIN],
    );
  }
}

/**
 * The message part of a query the templates can count: one word or phrase, ASCII without
 * digits, on the message (field `message`) or bare — then it also matches keyword fields
 * exactly (`keywords`), which templates know nothing of: those rows are counted separately.
 */
export function templateQuery(query: QueryNode): { message: QueryNode; keywords: QueryNode | null } | null {
  if (query.kind !== 'term' && query.kind !== 'phrase') return null;
  if (query.field !== null && query.field !== 'message') return null;
  // ASCII printable without digits, and at least one letter (a word to match).
  if (!/^[\x20-\x2f\x3a-\x7e]*$/.test(query.value) || !/[A-Za-z_]/.test(query.value)) return null;
  const message: QueryNode = { kind: 'phrase', field: 'message', value: query.value };
  if (query.field === 'message') return { message, keywords: null };
  return {
    message,
    keywords: {
      kind: 'or',
      children: ['resourceId', 'traceId', 'spanId', 'commit'].map((field) => ({
        kind: 'phrase' as const,
        field,
        value: query.value,
      })),
    },
  };
}

/** The templates that match `message`, as a subquery of their ids. */
function matchingTemplates(dialect: SqlDialect, message: QueryNode, params: DuckDBValue[]): string {
  const onText: SqlDialect = { ...dialect, column: (f) => (f === 'message' ? 'text' : dialect.column(f)) };
  return `SELECT id FROM ${TEMPLATES_TABLE} WHERE ${compileWhere(message, onText, params)}`;
}

/** The whole grains inside [from, to] (either open), as [lo, hi): none when lo >= hi. */
export function wholeGrains(from?: number, to?: number): { lo?: number; hi?: number } {
  return {
    lo: from === undefined ? undefined : Math.ceil(from / TEMPLATE_GRAIN) * TEMPLATE_GRAIN,
    hi: to === undefined ? undefined : Math.floor((to + 1) / TEMPLATE_GRAIN) * TEMPLATE_GRAIN,
  };
}

function grainRange(lo: number | undefined, hi: number | undefined, p: (v: number) => string): string {
  const c: string[] = [];
  if (lo !== undefined) c.push(`grain >= make_timestamp(${p(lo)})`);
  if (hi !== undefined) c.push(`grain < make_timestamp(${p(hi)})`);
  return c.length === 0 ? 'true' : c.join(' AND ');
}

/**
 * Counts by bucket and level of `message`'s templates in the whole grains of [lo, hi) (either
 * open). `interval` is a whole number of grains, so a grain falls in exactly one bucket.
 * Returns (bucket µs, level, n) rows.
 */
export function templateCountsSql(
  dialect: SqlDialect,
  message: QueryNode,
  interval: number,
  lo: number | undefined,
  hi: number | undefined,
  params: DuckDBValue[],
): string {
  const p = (v: number) => `$${params.push(v)}::BIGINT`;
  const iv = p(interval);
  return `SELECT (epoch_us(grain) // ${iv}) * ${iv} AS bucket, level, sum(n)::BIGINT AS n FROM ${TEMPLATE_COUNTS_TABLE}
    WHERE ${grainRange(lo, hi, p)} AND tpl IN (${matchingTemplates(dialect, message, params)}) GROUP BY ALL`;
}

/** The oldest and newest grain (µs) in [lo, hi) holding a record of `message`'s templates. */
export function templateGrainBoundsSql(
  dialect: SqlDialect,
  message: QueryNode,
  lo: number | undefined,
  hi: number | undefined,
  params: DuckDBValue[],
): string {
  const p = (v: number) => `$${params.push(v)}::BIGINT`;
  return `SELECT epoch_us(min(grain)), epoch_us(max(grain)) FROM ${TEMPLATE_COUNTS_TABLE}
    WHERE ${grainRange(lo, hi, p)} AND n > 0 AND tpl IN (${matchingTemplates(dialect, message, params)})`;
}
