import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BlockView } from './blocks.js';
import type { DayTables } from './day-tables.js';
import type { MessagePatterns } from './message-patterns.js';

/** What the indexer needs of the store. */
export interface PatternHost {
  days: DayTables;
  patterns: MessagePatterns;
  blocks(): BlockView;
  /** Run on a reader connection (its own deadline). */
  onReader<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Run alone on the writer connection, between loads. */
  alone<T>(fn: (w: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Milliseconds the writer has spent loading since the store opened. */
  loadingMs(): number;
  scratchDir: string;
}

export interface PatternIndexerOptions {
  /** A day is counted once nothing has written to it for this long. */
  quietMs: number;
  /** How often the indexer looks for such a day. */
  tickMs?: number;
  /** A day counted before waits this long before it is counted again (late records keep coming). */
  recountAfterMs?: number;
}

/** Messages sampled before a day is counted: more distinct patterns than a quarter of them, and it is not. */
const SAMPLE_ROWS = 10_000;
/** A day with more patterns than this, or longer ones in all, is not counted (not worth it). */
const MOST_DAY_PATTERNS = 20_000;
const MOST_DAY_PATTERN_CHARS = 16 * 1024 * 1024;
/** The writer busier than this share of the time (an ingest backlog): loads go first. */
const BUSY_SHARE = 0.5;

/**
 * Counts the message patterns (message-patterns.ts) of each closed day — one that ended before
 * now and that nothing has written to for `quietMs` — in the background, newest first, one day
 * at a time, and only while the writer is not busy loading: it reads every message of the day
 * once (a few seconds of CPU for a day of 1.4M records), then keeps the counts between two
 * loads. A day written to meanwhile is counted again once it is quiet.
 */
export class PatternIndexer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private reader: DuckDBConnection | null = null;
  private stopped = false;
  /** Each table's generation and since when it has had it (ms). */
  private readonly quiet = new Map<string, { generation: number; since: number }>();
  /** Tables found not worth counting, at the generation found. */
  private readonly varied = new Map<string, number>();
  /** When each table was last counted (ms). */
  private readonly countedAt = new Map<string, number>();
  private busy = { at: Date.now(), ms: 0 };
  /** Milliseconds spent counting days that were kept (metrics). */
  countingMs = 0;

  constructor(
    private readonly host: PatternHost,
    private readonly opts: PatternIndexerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running === null) this.running = this.tick().finally(() => (this.running = null));
    }, this.opts.tickMs ?? 1000);
    this.timer.unref();
  }

  /** Stop, interrupting a count under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.reader?.interrupt();
    await this.running?.catch(() => {});
  }

  /** Closed days whose patterns are not counted at their generation (and not found too varied). */
  waiting(nowMs = Date.now()): string[] {
    const days = this.host.days.snapshot();
    return days
      .overlapping()
      .filter((p) => p.end <= nowMs * 1000)
      .filter((p) => !days.patterned(p.table) && this.varied.get(p.table) !== days.generation(p.table))
      .map((p) => p.table);
  }

  /** Count every waiting day now, quiet or not (tests, and a store opened for maintenance). */
  async countAll(): Promise<number> {
    let n = 0;
    for (const table of this.waiting()) if (await this.count(table)) n++;
    return n;
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const loading = this.host.loadingMs();
    const share = (loading - this.busy.ms) / Math.max(1, now - this.busy.at);
    this.busy = { at: now, ms: loading };
    const quietFor = (table: string): number => {
      const g = this.host.days.generationNow(table);
      if (g === null) {
        this.quiet.delete(table);
        return 0;
      }
      const q = this.quiet.get(table);
      if (q?.generation === g) return now - q.since;
      this.quiet.set(table, { generation: g, since: now });
      return 0;
    };
    const recount = this.opts.recountAfterMs ?? 10 * 60_000;
    const ready = this.waiting(now).filter(
      (t) => quietFor(t) >= this.opts.quietMs && now - (this.countedAt.get(t) ?? -recount) >= recount,
    );
    if (share > BUSY_SHARE || ready.length === 0 || this.stopped) return;
    await this.count(ready[0]!).catch(() => {}); // tried again next tick (a load or restart between)
  }

  /** Count one table's patterns; true if kept. */
  private async count(table: string): Promise<boolean> {
    const { days, patterns } = this.host;
    const generation = days.generationNow(table);
    if (generation === null || this.stopped) return false;
    const started = Date.now();
    const ascii = this.host.blocks().asciiThrough(table);
    const sampled = await this.onReader((c) => patterns.sampleDistinct(c, table, ascii, SAMPLE_ROWS));
    if (sampled > SAMPLE_ROWS / 4) {
      this.varied.set(table, generation);
      return false;
    }
    const file = path.join(this.host.scratchDir, `patterns-${process.pid}-${table}.parquet`);
    try {
      const counted = await this.onReader((c) => patterns.count(c, table, ascii, file));
      if (counted.distinct > MOST_DAY_PATTERNS || counted.chars > MOST_DAY_PATTERN_CHARS) {
        this.varied.set(table, generation);
        return false;
      }
      const kept = await this.host.alone(async (w) => {
        // Written to since the count began: what was counted is not what is there.
        if (this.stopped || days.generationNow(table) !== generation) return false;
        await patterns.keep(w, table, file, counted);
        days.setPatterned(table, generation);
        return true;
      });
      if (kept) {
        this.countedAt.set(table, Date.now());
        this.countingMs += Date.now() - started;
      }
      return kept;
    } finally {
      await rm(file, { force: true });
    }
  }

  private onReader<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.host.onReader(async (c) => {
      this.reader = c;
      try {
        return await fn(c);
      } finally {
        this.reader = null;
      }
    });
  }
}
