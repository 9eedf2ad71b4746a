import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type LoadBatch, type PartBounds, widenBounds } from '../store.js';
import type { BlockIndex } from './blocks.js';
import type { DayTables } from './day-tables.js';
import type { MessagePatterns } from './message-patterns.js';
import { compactRollup, rollupInsertSql } from './rollup.js';
import { NDJSON_COLUMNS, NDJSON_PROJECTION } from './schema.js';

/** Exactly-once bookkeeping: every applied load key, committed with its rows. */
export const LOADED_TABLE = 'sawmill_loaded';
export const LOADED_DDL = `CREATE TABLE IF NOT EXISTS ${LOADED_TABLE} (
  key VARCHAR PRIMARY KEY, loaded_at TIMESTAMP NOT NULL)`;
/**
 * Keys are kept this long. A spool segment is loaded seconds after it is written and its key
 * (a µs clock reading) never recurs; a broker redelivers within minutes. Beyond that, a key is
 * only weight.
 */
const KEEP_LOADED_KEYS = 'INTERVAL 7 DAY';
/** Housekeeping cadence: prune old load keys and compact the minute rollup. */
const HOUSEKEEPING_EVERY_LOADS = 1000;

export interface Loaded {
  inserted: number;
  /** Keys of the parts this load applied (not applied before). */
  appliedKeys: string[];
  /** Newest timestamp among the inserted rows (µs); -Infinity when none. */
  maxTs: number;
}

/**
 * Loads batches of NDJSON lines into the day tables, each batch in one transaction on the
 * writer connection that also records the batch's keys (a key already recorded is skipped: that
 * is what makes redelivery after a crash harmless) and the rows' minute counts (rollup.ts); a
 * day whose message patterns were counted is no longer counted (message-patterns.ts).
 */
export class Loader {
  private scratchSeq = 0;
  private loads = 0;

  constructor(
    private readonly w: DuckDBConnection,
    private readonly days: DayTables,
    private readonly blocks: BlockIndex,
    private readonly patterns: MessagePatterns,
    /** Where lines that arrive in memory are written for read_ndjson. */
    private readonly scratchDir: string,
  ) {}

  async load(batch: LoadBatch): Promise<Loaded> {
    const w = this.w;
    const scratch: string[] = [];
    await w.run('BEGIN TRANSACTION');
    try {
      const keys = batch.parts.map((p) => p.key);
      const applied = new Set(
        (
          await w.runAndReadAll(
            `SELECT key FROM ${LOADED_TABLE} WHERE key IN (${keys.map((_, i) => `$${i + 1}`).join(',')})`,
            keys,
          )
        )
          .getRows()
          .map((r) => r[0] as string),
      );
      const files: string[] = [];
      let day: string | null | undefined; // the one UTC day all fresh parts fall in, if known
      for (const part of batch.parts) {
        if (applied.has(part.key)) continue;
        const partDay = part.bounds ? singleDay(part.bounds) : null;
        day = day === undefined || day === partDay ? partDay : null;
        if (part.file) files.push(part.file);
        else if (part.lines && part.lines.length > 0) {
          const file = path.join(this.scratchDir, `${process.pid}-${++this.scratchSeq}.ndjson`);
          await writeFile(file, `${part.lines.join('\n')}\n`);
          scratch.push(file);
          files.push(file);
        }
      }
      let loaded: Omit<Loaded, 'appliedKeys'> = { inserted: 0, maxTs: Number.NEGATIVE_INFINITY };
      if (files.length > 0) {
        // The direct path needs every part's bounds, and no applied part among them: the rollup
        // counts the new rows by their id range, which must hold no earlier-loaded row.
        loaded =
          day && applied.size === 0
            ? await this.insertDay(files, day, unionBounds(batch.parts.map((p) => p.bounds!)))
            : await this.insertFiles(files);
      }
      const fresh = keys.filter((k) => !applied.has(k));
      if (fresh.length > 0) {
        await w.run(
          `INSERT INTO ${LOADED_TABLE} VALUES ${fresh.map((_, i) => `($${i + 1}, now())`).join(',')}`,
          fresh,
        );
      }
      if (++this.loads % HOUSEKEEPING_EVERY_LOADS === 0) {
        await w.run(`DELETE FROM ${LOADED_TABLE} WHERE loaded_at < now() - ${KEEP_LOADED_KEYS}`);
        await compactRollup(w);
      }
      await w.run('COMMIT');
      this.days.committed();
      this.blocks.committed();
      return { ...loaded, appliedKeys: fresh };
    } catch (err) {
      await w.run('ROLLBACK').catch(() => {});
      this.blocks.rolledBack();
      // A day table created inside the failed transaction does not exist any more.
      await this.days.refresh(w);
      await this.patterns.refresh(w);
      throw err;
    } finally {
      await Promise.all(scratch.map((f) => rm(f, { force: true })));
    }
  }

  /**
   * The common case: every record is from one known day, so insert straight from the files. The
   * new rows are then counted for the rollup by their id range (zone maps skip the older rows).
   */
  private async insertDay(
    files: string[],
    day: string,
    bounds: PartBounds,
  ): Promise<Omit<Loaded, 'appliedKeys'>> {
    const p = await this.days.ensure(this.w, day);
    await this.patterns.forget(this.w, p.table);
    const blk = await this.blocks.firstBlock(this.w, p.table);
    const res = await this.w.run(
      `INSERT INTO ${p.table} SELECT *, ${this.blocks.blkSql(blk)}
       FROM (SELECT ${NDJSON_PROJECTION} FROM ${readNdjson(files)} ORDER BY ts, id)`,
    );
    const ids = [String(bounds.firstId), String(bounds.lastId)];
    await this.w.run(rollupInsertSql(p.table, 'id BETWEEN $1::UBIGINT AND $2::UBIGINT'), ids);
    await this.blocks.build(this.w, p.table, blk, res.rowsChanged);
    return { inserted: res.rowsChanged, maxTs: bounds.maxTs };
  }

  /** Records of unknown or several days: stage once, then split by day. */
  private async insertFiles(files: string[]): Promise<Omit<Loaded, 'appliedKeys'>> {
    const w = this.w;
    await w.run(
      `CREATE OR REPLACE TEMP TABLE incoming AS SELECT ${NDJSON_PROJECTION} FROM ${readNdjson(files)}`,
    );
    const summary = (
      await w.runAndReadAll(
        `SELECT strftime(ts, '%Y-%m-%d') AS day, epoch_us(max(ts)) FROM incoming GROUP BY day ORDER BY day`,
      )
    ).getRows();
    const maxTs = Math.max(Number.NEGATIVE_INFINITY, ...summary.map((r) => Number(r[1] as bigint)));
    let inserted = 0;
    for (const [day] of summary) {
      const p = await this.days.ensure(w, day as string);
      await this.patterns.forget(w, p.table);
      const where = summary.length === 1 ? '' : `WHERE strftime(ts, '%Y-%m-%d') = $1`;
      const blk = await this.blocks.firstBlock(w, p.table);
      const res = await w.run(
        `INSERT INTO ${p.table} SELECT *, ${this.blocks.blkSql(blk)}
         FROM (SELECT * FROM incoming ${where} ORDER BY ts, id)`,
        summary.length === 1 ? [] : [day as string],
      );
      inserted += res.rowsChanged;
      await this.blocks.build(w, p.table, blk, res.rowsChanged);
    }
    await w.run(rollupInsertSql('incoming'));
    await w.run('DROP TABLE incoming');
    return { inserted, maxTs };
  }
}

/** Server-generated paths (spool, scratch), never a client's; quoted all the same. */
function readNdjson(files: string[]): string {
  const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(',');
  return `read_ndjson([${list}], columns = ${NDJSON_COLUMNS}, format = 'newline_delimited',
                     maximum_object_size = 16777216)`;
}

/** 'YYYY-MM-DD' when the whole range is inside one UTC day. */
function singleDay(b: PartBounds): string | null {
  const first = new Date(Math.floor(b.minTs / 1000)).toISOString().slice(0, 10);
  const last = new Date(Math.floor(b.maxTs / 1000)).toISOString().slice(0, 10);
  return first === last ? first : null;
}

function unionBounds(all: PartBounds[]): PartBounds {
  const out = { ...all[0]! };
  for (const b of all.slice(1)) widenBounds(out, b);
  return out;
}
