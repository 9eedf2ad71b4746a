import type pg from 'pg';
import { MIGRATIONS, MIGRATIONS_LIST } from './schema.js';

/**
 * Advisory lock keys (one namespace for Sawmill: a fixed first int). Several nodes may start at
 * once against one database; the lock makes one of them migrate while the others wait and then
 * find nothing left to do.
 */
export const LOCK_NAMESPACE = 0x5a31;
export const MIGRATION_LOCK = 1;
export const PARTITION_LOCK = 2;
export const SAVED_SEARCH_LOCK = 3;

/** Applies the migrations the database lacks, each in its own transaction, under the lock. */
export async function migrate(client: pg.ClientBase): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS} (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS}`)).rows.map(
        (r) => r.version,
      ),
    );
    const applied: number[] = [];
    for (const m of MIGRATIONS_LIST) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        for (const sql of m.statements) await client.query(sql);
        await client.query(`INSERT INTO ${MIGRATIONS} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
  }
}
