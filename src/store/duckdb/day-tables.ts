import type { DuckDBConnection } from '@duckdb/node-api';
import {
  COLUMNS_DDL,
  type Partition,
  partitionForDay,
  partitionFromTable,
  TEMPLATE_TABLE,
  VIEW,
} from './schema.js';

/**
 * The day tables (`logs_YYYYMMDD`, schema.ts) and the `logs` view over them. The writer's list
 * includes tables created by a load that has not committed yet; readers only ever see the
 * committed ones (`visible`), since a reader naming an uncommitted table fails.
 */
export class DayTables {
  /** Newest first, as the writer sees them. */
  private all: Partition[] = [];
  /** Newest first, committed: what queries may name. */
  private visible: Partition[] = [];
  /**
   * Each table's write generation: bumped when a commit changed its rows (a load or retention
   * wrote to it), so an answer computed from a table stays valid while its generation does
   * (day-results.ts). Replaced, never changed in place: a snapshot keeps the one it took.
   */
  private generations: ReadonlyMap<string, number> = new Map();
  /**
   * Tables the open transaction writes to (`touch`): in flux, they have no generation until
   * `committed` bumps it. Replaced, never changed in place, as `generations`.
   */
  private touched: ReadonlySet<string> = new Set();
  private nextGeneration = 1;
  /**
   * The generation at which each table's message patterns were counted (message-patterns.ts):
   * they answer for the table while it is still at that generation. Replaced, never changed in
   * place, as `generations`.
   */
  private patterned: ReadonlyMap<string, number> = new Map();

  /** Find the day tables; the view comes with `refresh`, once every table has every column. */
  async open(w: DuckDBConnection): Promise<void> {
    await w.run(`CREATE TABLE IF NOT EXISTS ${TEMPLATE_TABLE} (${COLUMNS_DDL})`);
    this.all = await this.listed(w);
  }

  /** Every table name with the record columns, the template included (for migrations). */
  tableNames(): string[] {
    return [TEMPLATE_TABLE, ...this.all.map((p) => p.table)];
  }

  /** The writer's list (retention walks it). */
  writerView(): readonly Partition[] {
    return this.all;
  }

  get count(): number {
    return this.visible.length;
  }

  /** The day's table, created (and the view widened) inside the caller's transaction if new. */
  async ensure(w: DuckDBConnection, day: string): Promise<Partition> {
    const p = partitionForDay(day);
    this.touch(p.table);
    const known = this.all.find((q) => q.table === p.table);
    if (known) return known;
    await w.run(`CREATE TABLE IF NOT EXISTS ${p.table} (${COLUMNS_DDL})`);
    this.all = [...this.all, p].sort((a, b) => b.start - a.start);
    await w.run(this.viewSql());
    return p;
  }

  /** Drop the tables wholly before `cutoff` from both lists (the caller drops them in SQL). */
  async forgetBefore(w: DuckDBConnection, cutoff: number): Promise<void> {
    const kept = this.all.filter((p) => p.end > cutoff);
    if (kept.length === this.all.length) return;
    this.all = kept;
    // Readers stop naming the dropped tables now; one already on its way may still meet a
    // missing table (a 500 once, at worst, every retention sweep that drops a day).
    this.visible = this.visible.filter((p) => p.end > cutoff);
    const patterned = new Map(this.patterned);
    for (const table of patterned.keys()) if (!kept.some((p) => p.table === table)) patterned.delete(table);
    this.patterned = patterned;
    await w.run(this.viewSql());
  }

  /** The table's message patterns were counted (and committed) at `generation`. */
  setPatterned(table: string, generation: number): void {
    this.patterned = new Map(this.patterned).set(table, generation);
  }

  /** The open transaction changes `table`'s rows (ensure does this for loads). */
  touch(table: string): void {
    if (!this.touched.has(table)) this.touched = new Set([...this.touched, table]);
  }

  /** The table's generation now; null while a transaction writes to it. */
  generationNow(table: string): number | null {
    return generationOf(this.generations, this.touched, table);
  }

  /** After COMMIT: readers may name what the writer created, and the tables written to are new generations. */
  committed(): void {
    this.bumpTouched();
    this.visible = [...this.all];
  }

  /** After ROLLBACK (or at open): the lists are what the catalog says. */
  async refresh(w: DuckDBConnection): Promise<void> {
    this.all = await this.listed(w);
    await w.run(this.viewSql());
    // A failed COMMIT may still have written: count the touched tables as changed all the same.
    this.bumpTouched();
    this.visible = [...this.all];
  }

  private bumpTouched(): void {
    if (this.touched.size === 0) return;
    const next = new Map(this.generations);
    for (const table of this.touched) next.set(table, this.nextGeneration++);
    this.generations = next;
    this.touched = new Set();
  }

  private async listed(w: DuckDBConnection): Promise<Partition[]> {
    const tables = (await w.runAndReadAll('SELECT table_name FROM duckdb_tables()')).getRows();
    return tables
      .map((r) => partitionFromTable(r[0] as string))
      .filter((p): p is Partition => p !== null)
      .sort((a, b) => b.start - a.start);
  }

  /**
   * The committed tables as of now. A read transaction begun after this call sees every one of
   * them (and still sees them if retention drops them meanwhile).
   */
  snapshot(): DaySnapshot {
    return new DaySnapshot(this.visible, this.generations, this.touched, this.patterned);
  }

  private viewSql(): string {
    const parts = [TEMPLATE_TABLE, ...this.all.map((p) => p.table)];
    return `CREATE OR REPLACE VIEW ${VIEW} AS ${parts.map((t) => `SELECT * FROM ${t}`).join(' UNION ALL ')}`;
  }
}

/** A fixed list of committed day tables, newest first: what one query (or transaction) may name. */
export class DaySnapshot {
  constructor(
    private readonly tables: readonly Partition[],
    private readonly generations: ReadonlyMap<string, number> = new Map(),
    private readonly touched: ReadonlySet<string> = new Set(),
    private readonly patternedAt: ReadonlyMap<string, number> = new Map(),
  ) {}

  /**
   * Whether the table's message patterns were counted at the generation the snapshot saw. They
   * were committed before the snapshot was taken, so a read begun after it sees them.
   */
  patterned(table: string): boolean {
    const g = this.generation(table);
    return g !== null && this.patternedAt.get(table) === g;
  }

  /**
   * The table's write generation when the snapshot was taken (0: unwritten since open), null
   * if a transaction was writing to it. A read begun after the snapshot sees at least that
   * generation's rows; exactly those if `DayTables.generationNow` still says the same after it.
   */
  generation(table: string): number | null {
    return generationOf(this.generations, this.touched, table);
  }

  /** Tables overlapping [from, to] (µs, inclusive, either open). */
  overlapping(from?: number, to?: number): Partition[] {
    return this.tables.filter(
      (p) => (from === undefined || p.end > from) && (to === undefined || p.start <= to),
    );
  }

  /**
   * What a query over [from, to] reads: a UNION ALL of one `branch` per day table that overlaps
   * it, or null when none does. Cheaper than the all-days view, whose every branch DuckDB binds
   * and prunes per query (~3 ms at 10 days, measured).
   */
  source(from: number | undefined, to: number | undefined, branch: Branch): string | null {
    return this.sourceOf(this.overlapping(from, to), from, to, branch);
  }

  /** `source`, over some of the tables that overlap [from, to]. */
  sourceOf(
    parts: Partition[],
    from: number | undefined,
    to: number | undefined,
    branch: Branch,
  ): string | null {
    if (parts.length === 0) return null;
    return `(${parts.map((p) => branch(p.table, from, to)).join(' UNION ALL ')})`;
  }
}

/** A table's generation: null while a transaction writes to it, 0 if nothing did since open. */
function generationOf(
  generations: ReadonlyMap<string, number>,
  touched: ReadonlySet<string>,
  table: string,
): number | null {
  return touched.has(table) ? null : (generations.get(table) ?? 0);
}

/** The rows of a day table one query reads within [from, to], as a SELECT. */
export type Branch = (table: string, from?: number, to?: number) => string;

/** Every row of the table (the query's conditions are applied around it). */
export const wholeTable: Branch = (table) => `SELECT * FROM ${table}`;
