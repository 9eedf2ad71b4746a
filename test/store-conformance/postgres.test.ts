import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import { storeConformance } from './cases.js';

/**
 * The cluster store against the real PostgreSQL: every store gets a database of its own,
 * `sawmill_test_<random>_<n>`, created here and dropped afterwards. Under CI=true an unreachable
 * server fails the run; elsewhere the cases are skipped, loudly.
 */
const CI = process.env.CI === 'true';
const ADMIN_URL = process.env.SAWMILL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
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
      `\n\n  !!! PostgreSQL not reachable at ${ADMIN_URL}: the PostgresStore conformance cases are SKIPPED !!!\n\n`,
    );
  }
});

afterAll(async () => {
  if (!admin) return;
  for (const db of databases) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.end();
});

storeConformance(
  'PostgresStore',
  async (opts) => {
    const db = `${run}_${++created}`;
    // A UTF-8 ctype explicitly: the store needs one to know letters beyond ASCII.
    await admin!.query(
      `CREATE DATABASE ${db} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
    );
    databases.push(db);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${db}`;
    const store = new PostgresStore({
      url: url.toString(),
      queryTimeoutMs: opts?.queryTimeoutMs ?? 10_000,
      poolSize: 4,
    });
    await store.open();
    return {
      store,
      async cleanup() {
        await store.close();
        await admin!.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      },
    };
  },
  () => admin !== null,
);
