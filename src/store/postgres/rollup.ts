import { LEVELS } from '../../model/record.js';
import { ROLLUP } from './schema.js';

/**
 * Per-minute counts by level (as store/duckdb/rollup.ts), written in the load's transaction.
 * The loader counts its rows while it builds the COPY text, so a load adds a few rows here for
 * the price of one INSERT. Loads only append (an upsert would make concurrent workers queue on
 * the same minute's row lock); `compactRollupSql` folds the rows of each minute and level
 * together now and then. Histograms and totals of time-only queries sum these rows and count
 * only the partial minutes at the range's edges from the records, so they stay exact.
 * `minute` is µs since the epoch as a bigint, not a timestamptz: bucketing ~10k rows a day is
 * then integer arithmetic (7-day histogram over 86k rows: 6 ms, against 25-90 ms with date_bin
 * or extract(epoch) on a timestamptz, measured).
 */
export const MINUTE = 60_000_000;

export const EPOCH_PLUS = (param: string) =>
  `(timestamptz 'epoch' + ${param}::bigint * interval '1 microsecond')`;

export function insertRollupSql(counts: ReadonlyArray<{ minute: number; level: string; n: number }>): {
  text: string;
  values: unknown[];
} {
  return {
    text: `INSERT INTO ${ROLLUP} (minute, level, n)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])`,
    values: [counts.map((c) => c.minute), counts.map((c) => c.level), counts.map((c) => c.n)],
  };
}

/**
 * One statement, safe beside concurrent loads and compactions: the DELETE takes the rows visible
 * when it starts (rows another compaction deleted first are skipped, not counted twice) and the
 * INSERT puts back their sums in the same transaction.
 */
export const compactRollupSql = `WITH gone AS (DELETE FROM ${ROLLUP} RETURNING minute, level, n)
  INSERT INTO ${ROLLUP} (minute, level, n) SELECT minute, level, sum(n) FROM gone GROUP BY minute, level`;

/**
 * Counts by bucket and level over [from, to] (inclusive µs, either open), `interval` a whole
 * number of minutes: whole minutes from the rollup, the partial edge minutes from `sawmill_logs`.
 * Rows are (bucket µs, level, n).
 */
export function rollupCountsSql(
  logs: string,
  interval: number,
  from: number | undefined,
  to: number | undefined,
  params: unknown[],
  /** Only these levels (a level filter, level-filter.ts); all when absent. */
  levels?: readonly string[],
): string {
  const p = (v: unknown) => `$${params.push(v)}`;
  const iv = p(interval);
  let lo = from === undefined ? undefined : Math.ceil(from / MINUTE) * MINUTE;
  let hi = to === undefined ? undefined : Math.floor((to + 1) / MINUTE) * MINUTE;
  if (lo !== undefined && hi !== undefined && lo >= hi) lo = hi = to! + 1; // no whole minute
  const whole: string[] = [];
  if (lo !== undefined) whole.push(`minute >= ${p(lo)}::bigint`);
  if (hi !== undefined) whole.push(`minute < ${p(hi)}::bigint`);
  const edges: string[] = [];
  if (from !== undefined && from < lo!)
    edges.push(`(ts >= ${EPOCH_PLUS(p(from))} AND ts < ${EPOCH_PLUS(p(lo!))})`);
  if (to !== undefined && to >= hi!)
    edges.push(`(ts >= ${EPOCH_PLUS(p(hi!))} AND ts <= ${EPOCH_PLUS(p(to))})`);
  const level =
    levels === undefined || levels.length >= LEVELS.length ? '' : ` AND level = ANY(${p(levels)}::text[])`;
  const bucket = (us: string) => `(${us} / ${iv}::bigint) * ${iv}::bigint`;
  const parts = [
    `SELECT ${bucket('minute')} AS bucket, level, sum(n)::bigint AS n FROM ${ROLLUP}
     WHERE ${whole.length > 0 ? whole.join(' AND ') : 'true'}${level} GROUP BY 1, 2`,
  ];
  if (edges.length > 0) {
    parts.push(
      `SELECT ${bucket('(extract(epoch FROM ts) * 1000000)::bigint')} AS bucket, level, count(*) AS n FROM ${logs} WHERE (${edges.join(' OR ')})${level} GROUP BY 1, 2`,
    );
  }
  // int8 and numeric come back from node-postgres as strings: exact.
  return `SELECT bucket, level, sum(n) AS n FROM (${parts.join(' UNION ALL ')}) u
          GROUP BY bucket, level ORDER BY bucket, level`;
}
