import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { storeConformance } from './cases.js';

/** The embedded store: a fresh directory per store. */
storeConformance(
  'DuckDbStore',
  async (opts) => {
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
  },
  () => true,
);
