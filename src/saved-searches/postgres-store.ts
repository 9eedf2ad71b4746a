import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LOCK_NAMESPACE, SAVED_SEARCH_LOCK } from '../store/postgres/migrate.js';
import {
  MAX_SAVED_SEARCHES,
  type SavedSearch,
  type SavedSearchInput,
  SavedSearchLimitError,
  type SavedSearchStore,
} from './store.js';

const TABLE = 'sawmill_saved_searches';

/**
 * Cluster saved-search store: one row per search in the cluster's PostgreSQL, so every query node
 * lists the same searches and a shared link opens on any of them. The input is kept as one jsonb
 * document (its shape is validated at the edge, saved-searches/validate.ts).
 */
export class PostgresSavedSearchStore implements SavedSearchStore {
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
    // An idle client whose server connection drops (a PostgreSQL restart) is an 'error' event on
    // the pool; unhandled, it would end the process. The pool replaces the client by itself.
    this.pool.on('error', () => {});
  }

  async open(): Promise<void> {
    // Under a lock: two query nodes starting at once would both run CREATE TABLE IF NOT EXISTS,
    // and the loser fails on the catalog's unique index instead of finding the table.
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, SAVED_SEARCH_LOCK]);
      await c.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        seq bigserial PRIMARY KEY, id text UNIQUE NOT NULL, created_at timestamptz NOT NULL, search jsonb NOT NULL)`);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async list(): Promise<SavedSearch[]> {
    const { rows } = await this.pool.query(`SELECT id, created_at, search FROM ${TABLE} ORDER BY seq DESC`);
    return rows.map(toSaved);
  }

  async get(id: string): Promise<SavedSearch | undefined> {
    const { rows } = await this.pool.query(`SELECT id, created_at, search FROM ${TABLE} WHERE id = $1`, [id]);
    return rows.length === 0 ? undefined : toSaved(rows[0]);
  }

  async create(input: SavedSearchInput): Promise<SavedSearch> {
    const id = randomBytes(12).toString('base64url');
    const createdAt = new Date();
    // The limit check and the insert in one statement, so concurrent creates cannot overshoot by much.
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${TABLE} (id, created_at, search)
       SELECT $1, $2, $3 WHERE (SELECT count(*) FROM ${TABLE}) < $4`,
      [id, createdAt, JSON.stringify(input), MAX_SAVED_SEARCHES],
    );
    if (rowCount === 0)
      throw new SavedSearchLimitError(`at most ${MAX_SAVED_SEARCHES} saved searches; delete some first`);
    return { id, ...input, createdAt: createdAt.toISOString() };
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`DELETE FROM ${TABLE} WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toSaved(row: { id: string; created_at: Date; search: SavedSearchInput }): SavedSearch {
  return { id: row.id, ...row.search, createdAt: row.created_at.toISOString() };
}
