import type pg from 'pg';
import { LOCK_NAMESPACE, PARTITION_LOCK } from './migrate.js';
import { listPartitions } from './partitions.js';
import { EPOCH_PLUS, MINUTE } from './rollup.js';
import { LOADED, LOGS, ROLLUP } from './schema.js';

/** Load keys older than this are forgotten: a broker redelivers within minutes, not days. */
const KEEP_LOADED_KEYS = "interval '7 days'";
const RETENTION_LOCK_TIMEOUT = '5s';

/**
 * Removes every record older than `cutoff` (µs) in one transaction: day partitions wholly
 * before it are dropped (their files go at once, no vacuum debt), the one boundary day is
 * trimmed with a DELETE, and the rollup forgets the minutes the cutoff reaches and recounts
 * what is left of the cutoff's own minute. Under the partition lock, so no node creates a
 * partition meanwhile. Dropping a partition briefly locks the parent table: queries wait for the
 * sweep's commit (milliseconds), they do not fail; a sweep that cannot get the lock within
 * RETENTION_LOCK_TIMEOUT fails and leaves everything as it was.
 */
export async function applyRetention(c: pg.ClientBase, cutoff: number): Promise<number> {
  let removed = 0;
  await c.query('BEGIN');
  try {
    // DROP needs an ACCESS EXCLUSIVE lock on sawmill_logs; waiting for it behind a long query
    // would queue every new query behind the sweep. Give up after a moment: the next sweep retries.
    await c.query(`SET LOCAL lock_timeout = '${RETENTION_LOCK_TIMEOUT}'`);
    await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, PARTITION_LOCK]);
    for (const p of await listPartitions(c)) {
      if (p.end <= cutoff) {
        const { rows } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${p.table}`);
        removed += Number(rows[0]!.n);
        await c.query(`DROP TABLE ${p.table}`);
      } else if (p.start < cutoff) {
        const res = await c.query(`DELETE FROM ${p.table} WHERE ts < ${EPOCH_PLUS('$1')}`, [cutoff]);
        removed += res.rowCount ?? 0;
      }
    }
    const boundary = Math.ceil(cutoff / MINUTE) * MINUTE;
    await c.query(`DELETE FROM ${ROLLUP} WHERE minute < $1::bigint`, [boundary]);
    await c.query(
      `INSERT INTO ${ROLLUP} (minute, level, n)
       SELECT (extract(epoch FROM date_trunc('minute', ts)) * 1000000)::bigint, level, count(*) FROM ${LOGS}
       WHERE ts >= ${EPOCH_PLUS('$1')} AND ts < ${EPOCH_PLUS('$2')} GROUP BY 1, 2`,
      [cutoff, boundary],
    );
    await c.query(`DELETE FROM ${LOADED} WHERE loaded_at < now() - ${KEEP_LOADED_KEYS}`);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return removed;
}
