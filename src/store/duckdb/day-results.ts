import { hasRelativeTime } from '../../cache/query-cache.js';
import type { QueryNode } from '../../query/ast.js';
import type { DaySnapshot, DayTables } from './day-tables.js';
import { type Partition, wholeDay } from './schema.js';

/**
 * Counting answers (histogram buckets, counts) per day table, kept while the table is
 * unchanged. Only loads and retention change a table's rows, and they bump its write
 * generation (day-tables.ts); everything else a query depends on is in the key. Most days of a
 * log store are closed — nothing writes there but a late record now and then — so the UI's
 * refresh, a zoom or a second look at the same query recounts only the days that changed
 * (today's, during ingest). Exact, unlike a time-to-live cache: an entry answers only for the
 * generation it was counted from. The idea of Elasticsearch's shard request cache, per day.
 *
 * Only days wholly inside the query's range are cached (their answer does not depend on the
 * range), and only for queries without relative times (`now-15m` means something else later).
 */
export class DayResults {
  /** Least recently used first (a Map iterates in insertion order; a hit re-inserts). */
  private readonly entries = new Map<string, { value: unknown; cost: number }>();
  private cost = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly days: DayTables,
    /**
     * Bound on the entries' total cost, about one per value held: a histogram day costs three
     * per (bucket, level) row. 1M is ~30 MB of JavaScript arrays at most.
     */
    private readonly maxCost = 1_000_000,
  ) {}

  /**
   * The per-day keys under which `kind` answers for `query` may be cached, for the parts of
   * `parts` wholly inside [from, to] whose generation the snapshot knows; empty when the query
   * must be counted afresh every time.
   */
  keys(
    snapshot: DaySnapshot,
    parts: readonly Partition[],
    from: number | undefined,
    to: number | undefined,
    query: QueryNode,
    kind: string,
  ): Map<string, DayKey> {
    const out = new Map<string, DayKey>();
    if (hasRelativeTime(query)) return out;
    const q = JSON.stringify(query);
    for (const p of parts) {
      if (!wholeDay(p, from, to)) continue;
      const generation = snapshot.generation(p.table);
      if (generation === null) continue;
      out.set(p.table, { table: p.table, generation, key: `${p.table}#${generation}|${kind}|${q}` });
    }
    return out;
  }

  get<T>(k: DayKey): T | undefined {
    const e = this.entries.get(k.key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(k.key);
    this.entries.set(k.key, e);
    return e.value as T;
  }

  /**
   * Keep `value`, counted by a read that began after the snapshot `k` came from, if the table
   * is still at that generation: then nothing wrote to it before the read ended, so the read saw
   * exactly that generation's rows.
   */
  set(k: DayKey, value: unknown, cost: number): void {
    if (!this.unchanged(k) || cost > this.maxCost / 16) return;
    const old = this.entries.get(k.key);
    if (old) {
      this.cost -= old.cost;
      this.entries.delete(k.key);
    }
    this.entries.set(k.key, { value, cost });
    this.cost += cost;
    for (const [key, e] of this.entries) {
      if (this.cost <= this.maxCost) break;
      this.entries.delete(key);
      this.cost -= e.cost;
    }
  }

  /** True while the table is at the key's generation. */
  unchanged(k: DayKey): boolean {
    return this.days.generationNow(k.table) === k.generation;
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface DayKey {
  table: string;
  generation: number;
  key: string;
}
