import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import type { StoreFactory } from './cases.js';

/** The embedded store: a fresh directory per store. */
export const duckdbFactory: StoreFactory = async (opts) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sawmill-conformance-'));
  const store = new DuckDbStore({ dir, queryTimeoutMs: opts?.queryTimeoutMs ?? 10_000, threads: 2 });
  await store.open();
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

const CI = process.env.CI === 'true';
const ADMIN_URL = process.env.SAWMILL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The cluster store against the real PostgreSQL, for the calling test file: every store gets a
 * database of its own, `sawmill_test_<random>_<n>`, created here and dropped afterwards. Under
 * CI=true an unreachable server fails the run; elsewhere `ready()` is false and the cases skip,
 * loudly.
 */
export function usePostgres(): {
  factory: StoreFactory;
  database: () => Promise<{ url: string; drop(): Promise<void> }>;
  ready: () => boolean;
} {
  const run = `sawmill_test_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client | null = null;
  let created = 0;
  const databases: string[] = [];

  beforeAll(async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      admin = c;
    } catch (err) {
      await c.end().catch(() => {});
      if (CI)
        throw new Error(`CI=true and PostgreSQL is not reachable at ${ADMIN_URL}: ${(err as Error).message}`);
      console.warn(
        `\n\n  !!! PostgreSQL not reachable at ${ADMIN_URL}: the PostgresStore cases are SKIPPED !!!\n\n`,
      );
    }
  });

  afterAll(async () => {
    if (!admin) return;
    for (const db of databases) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  /** A fresh database; `drop` removes it (also done for every database after the file's tests). */
  const database = async (): Promise<{ url: string; drop(): Promise<void> }> => {
    const db = `${run}_${++created}`;
    // A UTF-8 ctype explicitly: the store needs one to know letters beyond ASCII.
    await admin!.query(
      `CREATE DATABASE ${db} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
    );
    databases.push(db);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${db}`;
    return {
      url: url.toString(),
      drop: async () => {
        await admin!.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      },
    };
  };

  const factory: StoreFactory = async (opts) => {
    const db = await database();
    const store = new PostgresStore({
      url: db.url,
      queryTimeoutMs: opts?.queryTimeoutMs ?? 10_000,
      poolSize: 4,
    });
    await store.open();
    return {
      store,
      async cleanup() {
        await store.close();
        await db.drop();
      },
    };
  };
  return { factory, database, ready: () => admin !== null };
}
