import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { LEVELS } from '../../model/record.js';
import type { QueryNode } from '../../query/ast.js';
import { parseTimeExpr } from '../../query/time.js';
import { VIEW } from './schema.js';

/**
 * Per-minute record counts by level, kept beside the day tables and written in the same
 * transaction as the rows they count. The histogram and the total of a query with no filter
 * but time (the first screen of every log UI, the "how many records" question) are then sums
 * over ~1,440 rows a day instead of scans of every record; only the partial minutes at the
 * edges of the range are counted from the records themselves, so the answers stay exact.
 *
 * Loads append rows (one per minute and level they touched); `compact` folds them together now
 * and then so the table stays about one row per minute and level.
 */
export const ROLLUP_TABLE = 'sawmill_minute_counts';
export const ROLLUP_DDL = `CREATE TABLE IF NOT EXISTS ${ROLLUP_TABLE} (
  minute TIMESTAMP NOT NULL, level VARCHAR NOT NULL, n BIGINT NOT NULL)`;
export const MINUTE = 60_000_000;

/** `INSERT` of the counts of `source` rows matching `where` (a table or view with ts and level). */
export function rollupInsertSql(source: string, where = 'true'): string {
  return `INSERT INTO ${ROLLUP_TABLE}
    SELECT date_trunc('minute', ts), level, count(*) FROM ${source} WHERE ${where} GROUP BY ALL`;
}

/** Create the rollup; a database from before it existed is counted once, here. */
export async function openRollup(w: DuckDBConnection): Promise<void> {
  const exists = (
    await w.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE table_name = '${ROLLUP_TABLE}'`)
  ).getRows()[0]![0];
  await w.run('BEGIN TRANSACTION');
  await w.run(ROLLUP_DDL);
  if (Number(exists as bigint) === 0) await w.run(rollupInsertSql(VIEW));
  else await compactRollup(w);
  await w.run('COMMIT');
}

/** Fold the rows of each (minute, level) into one; run inside the caller's transaction. */
export async function compactRollup(w: DuckDBConnection): Promise<void> {
  await w.run(
    `CREATE OR REPLACE TEMP TABLE rollup_compact AS
       SELECT minute, level, sum(n)::BIGINT AS n FROM ${ROLLUP_TABLE} GROUP BY ALL`,
  );
  await w.run(`DELETE FROM ${ROLLUP_TABLE}`);
  await w.run(`INSERT INTO ${ROLLUP_TABLE} SELECT * FROM rollup_compact`);
  await w.run('DROP TABLE rollup_compact');
}

/**
 * True when a query filters on nothing but time (match-all, or `timestamp` ranges and values
 * under AND), so its counts can come from the rollup with the time bounds alone.
 */
export function onlyTime(node: QueryNode): boolean {
  const isTime = (text: string | undefined) => {
    if (text === undefined) return true;
    try {
      parseTimeExpr(text, Date.now());
      return true;
    } catch {
      return false;
    }
  };
  switch (node.kind) {
    case 'all':
      return true;
    case 'and':
      return node.children.every(onlyTime);
    case 'range':
      return node.field === 'timestamp' && [node.gt, node.gte, node.lt, node.lte].every(isTime);
    case 'term':
    case 'phrase':
      return node.field === 'timestamp' && isTime(node.value);
    default:
      return false;
  }
}

/**
 * SQL for counts by bucket and level over [from, to] (inclusive µs, either open): whole minutes
 * from the rollup, the partial minutes at the edges from `view`. `interval` must be a whole
 * number of minutes, so every minute falls in exactly one bucket. Returns (bucket µs, level, n).
 */
export function rollupCountsSql(
  view: string,
  interval: number,
  from: number | undefined,
  to: number | undefined,
  params: DuckDBValue[],
  /** Only these levels (a level filter, store/level-filter.ts); all when absent. */
  levels?: readonly string[],
): string {
  const p = (v: number) => {
    params.push(v);
    return `$${params.length}::BIGINT`;
  };
  const level =
    levels === undefined || levels.length >= LEVELS.length
      ? ''
      : levels.length === 0
        ? ' AND false'
        : ` AND level IN (${levels.map((l) => `$${params.push(l)}`).join(', ')})`;
  const iv = p(interval);
  // Whole minutes inside the range: [lo, hi). A range inside one minute has none: scan it all.
  let lo = from === undefined ? undefined : Math.ceil(from / MINUTE) * MINUTE;
  let hi = to === undefined ? undefined : Math.floor((to + 1) / MINUTE) * MINUTE;
  if (lo !== undefined && hi !== undefined && lo >= hi) {
    lo = hi = to! + 1; // empty whole part; the first edge below is then all of [from, to]
  }
  const whole: string[] = [];
  if (lo !== undefined) whole.push(`minute >= make_timestamp(${p(lo)})`);
  if (hi !== undefined) whole.push(`minute < make_timestamp(${p(hi)})`);
  const edges: string[] = [];
  if (from !== undefined && from < lo!) {
    edges.push(`(ts >= make_timestamp(${p(from)}) AND ts < make_timestamp(${p(lo!)}))`);
  }
  if (to !== undefined && to >= hi!) {
    edges.push(`(ts >= make_timestamp(${p(hi!)}) AND ts <= make_timestamp(${p(to)}))`);
  }
  const parts = [
    `SELECT (epoch_us(minute) // ${iv}) * ${iv} AS bucket, level, sum(n)::BIGINT AS n FROM ${ROLLUP_TABLE}
     WHERE ${whole.length > 0 ? whole.join(' AND ') : 'true'}${level} GROUP BY ALL`,
  ];
  if (edges.length > 0) {
    parts.push(
      `SELECT (epoch_us(ts) // ${iv}) * ${iv} AS bucket, level, count(*) AS n FROM ${view}
       WHERE (${edges.join(' OR ')})${level} GROUP BY ALL`,
    );
  }
  return `SELECT bucket, level, sum(n)::BIGINT AS n FROM (${parts.join(' UNION ALL ')})
          GROUP BY ALL ORDER BY bucket`;
}
