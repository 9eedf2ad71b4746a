import pgClient from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresSavedSearchStore } from '../src/saved-searches/postgres-store.js';
import { usePostgres } from './store-conformance/factories.js';

/** Cluster mode's saved searches, on the real PostgreSQL: one database per test. */
const pg = usePostgres();

describe('PostgresSavedSearchStore', () => {
  it('opens on a fresh database from several query nodes at once, and they share the searches', async (t) => {
    if (!pg.ready()) return t.skip();
    for (let round = 0; round < 5; round++) {
      const db = await pg.database();
      const nodes = Array.from({ length: 4 }, () => new PostgresSavedSearchStore(db.url));
      try {
        // Without the lock in open(), concurrent CREATE TABLE IF NOT EXISTS fails one of them on
        // the catalog's unique index (seen with two query nodes starting together).
        await Promise.all(nodes.map((n) => n.open()));
        const saved = await nodes[0]!.create({ name: `round ${round}`, query: 'level:error' });
        expect(await nodes[3]!.get(saved.id)).toEqual(saved);
      } finally {
        await Promise.all(nodes.map((n) => n.close()));
        await db.drop();
      }
    }
  });

  it('survives PostgreSQL closing its idle connections (a restart), and reconnects', async (t) => {
    if (!pg.ready()) return t.skip();
    const db = await pg.database();
    const store = new PostgresSavedSearchStore(db.url);
    const admin = new pgClient.Client({ connectionString: db.url });
    try {
      await store.open();
      const saved = await store.create({ name: 'kept', query: '*' });
      await admin.connect();
      // Unhandled, the idle client's 'error' event would fail this run (and end a query node).
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(await store.get(saved.id)).toEqual(saved);
    } finally {
      await admin.end();
      await store.close();
      await db.drop();
    }
  });
});
