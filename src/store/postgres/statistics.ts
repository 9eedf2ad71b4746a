import { partitionAt } from './partitions.js';

/** A partition is analysed once this many rows were loaded into it since its last ANALYZE here… */
const MIN_ROWS = 20_000;
/** …and they are at least this share of what it held then (a growing day is re-analysed as it doubles, and so on). */
const SHARE = 0.2;

/**
 * Fresh planner statistics for the partitions loads write to. A new day's partition has none
 * until autovacuum gets to it, and without them the planner guesses: at 150k rows a newest-first
 * page of a common word was planned as a scan of every match and a sort (an export ran at 18k
 * records/s before ANALYZE, 115k after, measured on the bench data). Autovacuum's own threshold
 * (10% changed) is reached late for a partition that grows all day; this asks for an ANALYZE
 * (which samples 30,000 rows: ~0.1 s) as a partition grows, from the process that loaded it.
 */
export class PartitionStatistics {
  /** Per partition table: rows loaded since its last ANALYZE by this process, and its size then. */
  private readonly grown = new Map<string, { since: number; at: number }>();

  /** Count `rowsByTime` (µs → rows) in; returns the partitions now due for an ANALYZE. */
  loaded(rowsByTime: Iterable<[number, number]>): string[] {
    const due: string[] = [];
    for (const [micros, rows] of rowsByTime) {
      const table = partitionAt(micros).table;
      const g = this.grown.get(table) ?? { since: 0, at: 0 };
      g.since += rows;
      this.grown.set(table, g);
      if (g.since >= MIN_ROWS && g.since >= g.at * SHARE && !due.includes(table)) due.push(table);
    }
    return due;
  }

  /** `table` was just analysed: count its growth from here. */
  analysed(table: string): void {
    const g = this.grown.get(table) ?? { since: 0, at: 0 };
    this.grown.set(table, { since: 0, at: g.at + g.since });
  }
}
