import type { DuckDBConnection } from '@duckdb/node-api';
import { BlockIndex } from './blocks.js';
import type { DayTables } from './day-tables.js';
import type { MessagePatterns } from './message-patterns.js';
import { MINUTE, ROLLUP_TABLE, rollupInsertSql } from './rollup.js';
import { VIEW } from './schema.js';

/**
 * Remove every record older than `cutoff` (µs) in one transaction: whole day tables are
 * dropped (cheap: their blocks are freed), the one boundary day is trimmed with a DELETE, and
 * the minute rollup forgets the minutes the cutoff reaches into, then recounts what is left of
 * the cutoff's own minute; the dropped days' message patterns go with them. Returns the number of records removed.
 */
export async function applyRetention(
  w: DuckDBConnection,
  days: DayTables,
  blocks: BlockIndex,
  patterns: MessagePatterns,
  cutoff: number,
): Promise<number> {
  let removed = 0;
  const dropped: string[] = [];
  await w.run('BEGIN TRANSACTION');
  try {
    for (const p of days.writerView()) {
      if (p.end <= cutoff) {
        removed += Number(
          (await w.runAndReadAll(`SELECT count(*) FROM ${p.table}`)).getRows()[0]![0] as bigint,
        );
        await w.run(`DROP TABLE ${p.table}`);
        dropped.push(p.table);
      } else if (p.start < cutoff) {
        days.touch(p.table);
        await patterns.forget(w, p.table);
        const res = await w.run(`DELETE FROM ${p.table} WHERE ts < make_timestamp($1::BIGINT)`, [cutoff]);
        removed += res.rowsChanged;
      }
    }
    await days.forgetBefore(w, cutoff);
    const boundary = Math.ceil(cutoff / MINUTE) * MINUTE;
    await w.run(`DELETE FROM ${ROLLUP_TABLE} WHERE minute < make_timestamp($1::BIGINT)`, [boundary]);
    await w.run(
      rollupInsertSql(VIEW, 'ts >= make_timestamp($1::BIGINT) AND ts < make_timestamp($2::BIGINT)'),
      [cutoff, boundary],
    );
    await patterns.drop(w, dropped);
    for (const sql of BlockIndex.retentionSql()) await w.run(sql, [cutoff]);
    await w.run('COMMIT');
    days.committed();
    blocks.forgetBefore(cutoff);
  } catch (err) {
    await w.run('ROLLBACK').catch(() => {});
    await days.refresh(w);
    await patterns.refresh(w);
    throw err;
  }
  return removed;
}
