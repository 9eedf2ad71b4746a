import type { DuckDBValue } from '@duckdb/node-api';
import type { QueryNode } from '../../query/ast.js';
import type { QueryParams } from '../store.js';
import type { BlockView } from './blocks.js';
import type { DayKey, DayResults } from './day-results.js';
import type { DaySnapshot, DayTables } from './day-tables.js';
import {
  keywordProbeSql,
  type MessagePatterns,
  PATTERN_GRAIN,
  type PatternQuery,
  patternGrainsSql,
  patternQuery,
} from './message-patterns.js';
import { type Partition, wholeDay } from './schema.js';
import { branching, type Exec, type Where } from './where.js';

/** Which rows a per-day question is asked of (`DayAnswers.ask`). */
export interface DayScope {
  days: DaySnapshot;
  parts: Partition[];
  w: Where;
  query: QueryNode;
  view: BlockView;
  exec: Exec;
}

/** A question answered per day table (`DayAnswers.ask`), so each day's answer can be kept. */
export interface DayQuestion<T> {
  /** Names the question in the cache key, with everything that shapes it (a bucket width). */
  kind: string;
  /** The statement over `source`, whose rows carry their table's name as `day`, first. */
  sql(source: string, params: DuckDBValue[]): string;
  /**
   * The same rows as `sql`, for days whose message patterns are counted, from their counts
   * (message-patterns.ts); absent where the counts cannot answer.
   */
  fromPatterns?(parts: Partition[], pq: PatternQuery, scope: DayScope): Promise<DuckDBValue[][]>;
  /** One day's result rows (day first) as its answer. */
  fold(rows: DuckDBValue[][]): T;
  /** The answer of a day without a matching row (kept, never changed). */
  empty: T;
}

/**
 * Counting questions (histograms, counts, time bounds) answered day table by day table, each
 * day from the cheapest source that is exact for it: the per-day cache (day-results.ts), the
 * day's message-pattern counts (message-patterns.ts), or its rows.
 */
export class DayAnswers {
  /** Day tables answered from their message patterns' counts (diagnostics and tests). */
  patternAnswers = 0;

  constructor(
    private readonly deps: {
      days: DayTables;
      dayResults: DayResults | null;
      patterns: MessagePatterns;
      /** The store's compiled query (DuckDbStore `where`). */
      where: (p: QueryParams) => Where;
      /** Called for each table read with ASCII word classes (diagnostics). */
      onAscii: () => void;
    },
  ) {}

  /**
   * One answer per day table among `scope.parts`: from the day-results cache where the table is
   * unchanged since it was counted; from its message patterns' counts where those answer the
   * question (`ask.fromPatterns`, whole closed days); the rest from one statement over those
   * tables' rows that match the query (`ask.sql(source)`, grouping by the `day` column each row
   * gets). `shortcuts` false: every day from its rows.
   */
  async ask<T>(scope: DayScope, ask: DayQuestion<T>, shortcuts = true): Promise<T[]> {
    const { days, parts, w } = scope;
    const cache = shortcuts ? this.deps.dayResults : null;
    const keys = cache
      ? cache.keys(days, parts, w.from, w.to, scope.query, ask.kind)
      : new Map<string, DayKey>();
    const answers: T[] = [];
    const borrowed: Array<{ table: string; generation: number | null }> = [];
    const todo = parts.filter((part) => {
      const k = keys.get(part.table);
      const hit = k && cache!.get<T>(k);
      if (hit === undefined) return true;
      answers.push(hit);
      borrowed.push(k!);
      return false;
    });
    const byDay = new Map<string, DuckDBValue[][]>();
    const add = (rows: DuckDBValue[][]) => {
      for (const r of rows) {
        const day = r[0] as string;
        const kept = byDay.get(day);
        if (kept) kept.push(r);
        else byDay.set(day, [r]);
      }
    };
    const pq = shortcuts && ask.fromPatterns && this.deps.patterns.enabled ? patternQuery(scope.query) : null;
    if (pq) pq.asciiText = this.deps.patterns.asciiOnly;
    const counted = pq ? todo.filter((p) => wholeDay(p, w.from, w.to) && days.patterned(p.table)) : [];
    if (counted.length > 0) {
      add(await ask.fromPatterns!(counted, pq!, scope));
      if (pq!.residual && (await this.keywordsHold(scope, counted, pq!.message.value))) {
        add(
          await this.dayRows(
            scope,
            ask,
            counted,
            this.deps.where({ query: pq!.residual, from: w.from, to: w.to }),
          ),
        );
      }
      this.patternAnswers += counted.length;
      for (const p of counted) borrowed.push({ table: p.table, generation: days.generation(p.table) });
    }
    const scanned = counted.length === 0 ? todo : todo.filter((p) => !counted.includes(p));
    if (scanned.length > 0) add(await this.dayRows(scope, ask, scanned, w));
    for (const part of todo) {
      const rows = byDay.get(part.table);
      const answer = rows ? ask.fold(rows) : ask.empty;
      const k = keys.get(part.table);
      if (k) cache!.set(k, answer, 1 + (rows?.length ?? 0) * 3);
      answers.push(answer);
    }
    // Inside a read transaction (a page and its total), a kept answer or a day's pattern counts
    // hold only if the table did not change meanwhile: then the transaction sees the same rows.
    if (borrowed.some((b) => this.deps.days.generationNow(b.table) !== b.generation)) {
      return this.ask(scope, ask, false);
    }
    return answers;
  }

  /** Whether a keyword field of some row of `parts` equals `value` (message-patterns.ts `keywordProbeSql`). */
  private async keywordsHold(scope: DayScope, parts: Partition[], value: string): Promise<boolean> {
    const params: DuckDBValue[] = [];
    const candidates = parts.map((p) => ({
      table: p.table,
      fields: scope.view.keywordFieldsMayHold(p.table, value),
    }));
    const sql = keywordProbeSql(candidates, value, params);
    if (sql === null) return false;
    const [row] = await scope.exec(sql, params);
    return Number(row![0] as bigint) > 0;
  }

  /** `ask.sql` over the rows of `parts` matching `w`. */
  private dayRows<T>(
    scope: DayScope,
    ask: DayQuestion<T>,
    parts: Partition[],
    w: Where,
  ): Promise<DuckDBValue[][]> {
    const params: DuckDBValue[] = [];
    const branch = branching(scope.view, w, params, this.deps.onAscii, true);
    const source = scope.days.sourceOf(parts, w.from, w.to, branch)!;
    return scope.exec(ask.sql(source, params), params);
  }

  /**
   * Per day, the oldest and newest match from the pattern counts: the oldest and newest grain
   * holding one, then only those grains' rows read. (day, oldest µs, newest µs) rows.
   */
  async patternBounds(parts: Partition[], pq: PatternQuery, scope: DayScope): Promise<DuckDBValue[][]> {
    const params: DuckDBValue[] = [];
    const grains = await scope.exec(
      patternGrainsSql(
        parts.map((p) => p.table),
        pq,
        params,
      ),
      params,
    );
    const edge = async (part: Partition, grain: DuckDBValue, fn: 'min' | 'max') => {
      const from = Number(grain as bigint);
      const to = from + PATTERN_GRAIN - 1;
      const ps: DuckDBValue[] = [];
      const source = scope.days.sourceOf(
        [part],
        from,
        to,
        branching(scope.view, scope.w, ps, this.deps.onAscii),
      )!;
      const [row] = await scope.exec(
        `SELECT epoch_us(${fn}(ts)) FROM ${source}
         WHERE ts >= make_timestamp($${ps.push(from)}::BIGINT) AND ts <= make_timestamp($${ps.push(to)}::BIGINT)`,
        ps,
      );
      return row![0]!;
    };
    return Promise.all(
      grains.map(async ([table, oldest, newest]) => {
        const part = parts.find((p) => p.table === table)!;
        return [table!, await edge(part, oldest!, 'min'), await edge(part, newest!, 'max')];
      }),
    );
  }
}

/** A per-day question's rows from the pattern counts, by a statement `build` writes (message-patterns.ts). */
export function fromCounts(
  build: (tables: string[], pq: PatternQuery, params: DuckDBValue[]) => string,
): NonNullable<DayQuestion<unknown>['fromPatterns']> {
  return (parts, pq, { exec }) => {
    const params: DuckDBValue[] = [];
    return exec(
      build(
        parts.map((p) => p.table),
        pq,
        params,
      ),
      params,
    );
  };
}
