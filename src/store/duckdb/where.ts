import type { DuckDBValue } from '@duckdb/node-api';
import type { TokenNeed } from '../../query/required-tokens.js';
import { type BlockView, blockCondition } from './blocks.js';
import type { Branch } from './day-tables.js';

/** Runs one statement and returns its rows. */
export type Exec = (sql: string, params: DuckDBValue[]) => Promise<DuckDBValue[][]>;

/** A query plus time range, to compile into each statement that reads it (DuckDbStore `where`). */
export interface Where {
  /**
   * The query and its time range as a condition on one day table's rows, its values appended
   * to `params`. `ascii`: for rows whose messages are all ASCII (ASCII word classes).
   */
  sql(params: DuckDBValue[], ascii: boolean): string;
  /** Whether ASCII word classes change the query at all (message words and wildcards do). */
  asciiMatters: boolean;
  from?: number;
  to?: number;
  /** What a block must contain to hold a match (null: any block may). */
  need: TokenNeed | null;
}

/**
 * Each day table's rows a statement reads: those of the blocks whose token filters admit the
 * query, matched against it — with ASCII word classes where every row is ASCII (blocks.ts
 * `asciiThrough`) — its values appended to `params`.
 */
export function branching(
  view: BlockView,
  w: Where,
  params: DuckDBValue[],
  onAscii: () => void,
  /** Each row also gets its table's name, as column `day` (names are ours: logs_YYYYMMDD). */
  tagged = false,
): Branch {
  return (table, from, to) => {
    const columns = tagged ? `'${table}' AS day, *` : '*';
    const r = w.need === null ? null : view.restrict(table, w.need, from, to);
    const ascii = w.asciiMatters ? view.asciiThrough(table, from, to) : null;
    if (ascii !== null) onAscii();
    const blk = blockCondition(r, ascii);
    const where = w.sql(params, ascii !== null);
    return `SELECT ${columns} FROM ${table} WHERE ${blk === null ? where : `${blk} AND ${where}`}`;
  };
}
