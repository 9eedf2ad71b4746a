import type pg from 'pg';
import { LOCK_NAMESPACE, PARTITION_LOCK } from './migrate.js';
import { LOGS } from './schema.js';

const DAY_MICROS = 86_400_000_000;
const PARTITION_NAME = /^sawmill_logs_p(\d{4})(\d{2})(\d{2})$/;

export interface Partition {
  /** `sawmill_logs_pYYYYMMDD`: built only from a server-computed date, never from user text. */
  table: string;
  /** Start of the UTC day, µs (inclusive). */
  start: number;
  /** Start of the next day, µs (exclusive). */
  end: number;
}

/** The partition holding records of time `micros`. */
export function partitionAt(micros: number): Partition {
  const start = Math.floor(micros / DAY_MICROS) * DAY_MICROS;
  const day = new Date(start / 1000).toISOString().slice(0, 10).replaceAll('-', '');
  return { table: `${LOGS}_p${day}`, start, end: start + DAY_MICROS };
}

function fromTable(table: string): Partition | null {
  const m = PARTITION_NAME.exec(table);
  return m ? partitionAt(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) * 1000) : null;
}

const isoOf = (micros: number) => new Date(micros / 1000).toISOString();

/** Every day partition, oldest first, as the catalog says now. */
export async function listPartitions(c: pg.ClientBase): Promise<Partition[]> {
  const { rows } = await c.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass`,
    [LOGS],
  );
  return rows
    .map((r) => fromTable(r.name))
    .filter((p): p is Partition => p !== null)
    .sort((a, b) => a.start - b.start);
}

/**
 * Creates missing day partitions, each in a short transaction of its own, before (never inside)
 * a load's transaction. A partition is made as a plain table and then attached: `CREATE TABLE …
 * PARTITION OF` would take an ACCESS EXCLUSIVE lock on `sawmill_logs` (waiting for every running
 * query, and making every new one wait behind it), ATTACH only a SHARE UPDATE EXCLUSIVE lock,
 * which reads and loads do not conflict with. Attaching builds the parent's indexes on the (empty)
 * table, and its CHECK constraint spares the validation scan. The advisory lock serialises
 * creators across nodes, so two workers creating the same day never collide (IF NOT EXISTS alone
 * still races in the catalog); the second finds the partition and does nothing.
 */
export class PartitionCache {
  /** Days known to exist (µs start of day). Cleared when a load fails, in case retention raced. */
  private known = new Set<number>();

  async ensure(pool: pg.Pool, micros: Iterable<number>): Promise<void> {
    const missing = new Map<number, Partition>();
    for (const t of micros) {
      const p = partitionAt(t);
      if (!this.known.has(p.start)) missing.set(p.start, p);
    }
    if (missing.size === 0) return;
    const c = await pool.connect();
    try {
      for (const p of [...missing.values()].sort((a, b) => a.start - b.start)) {
        await c.query('BEGIN');
        try {
          await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, PARTITION_LOCK]);
          const attached = await c.query(
            `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = $1::regclass AND c.relname = $2`,
            [LOGS, p.table],
          );
          if (attached.rowCount === 0) {
            // Bounds are literals from ISO dates computed here; DDL takes no parameters. A table
            // left unattached by a crash between the two steps is reused.
            const from = `'${isoOf(p.start)}'`;
            const to = `'${isoOf(p.end)}'`;
            await c.query(
              `CREATE TABLE IF NOT EXISTS ${p.table} (LIKE ${LOGS} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                 CONSTRAINT ${p.table}_range CHECK (ts >= ${from} AND ts < ${to}))`,
            );
            await c.query(
              `ALTER TABLE ${LOGS} ATTACH PARTITION ${p.table} FOR VALUES FROM (${from}) TO (${to})`,
            );
          }
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => {});
          throw err;
        }
        this.known.add(p.start);
      }
    } finally {
      c.release();
    }
  }

  forget(): void {
    this.known.clear();
  }
}

/** Today and the next days: created at open so the first loads of a day do not wait on DDL. */
export function daysAhead(nowMicros: number, days = 2): number[] {
  return Array.from({ length: days + 1 }, (_, i) => nowMicros + i * DAY_MICROS);
}
