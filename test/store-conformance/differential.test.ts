import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/query/parse.js';
import { loadFixture, type StoreHandle } from './cases.js';
import { duckdbFactory, usePostgres } from './factories.js';

/**
 * Same inputs, same answers: every query that src/query/sql/compile.test.ts asserts on the
 * DuckDB dialect runs through both stores' search, on the fixture rows loaded by `load()`, and
 * must find the same records. compile.test.ts holds the expected answers; this file holds the
 * stores to the same ones without a second copy of them.
 */
const source = readFileSync(new URL('../../src/query/sql/compile.test.ts', import.meta.url), 'utf8');
const QUERIES = [
  ...new Set(
    [...source.matchAll(/matches\((('(?:\\.|[^'\\])*')|("(?:\\.|[^"\\])*"))/g)].map(
      (m) => new Function(`return ${m[1]}`)() as string,
    ),
  ),
];

const pg = usePostgres();
let duck: StoreHandle;
let post: StoreHandle | null = null;
let names: Map<string, string>;

beforeAll(async () => {
  duck = await duckdbFactory();
  names = await loadFixture(duck.store);
  if (pg.ready()) {
    post = await pg.factory();
    await loadFixture(post.store);
  }
});

afterAll(async () => {
  await duck?.cleanup();
  await post?.cleanup();
});

describe('DuckDbStore and PostgresStore agree on every query of compile.test.ts', () => {
  it('found the queries', () => {
    expect(QUERIES.length).toBeGreaterThan(100);
  });

  it.for(QUERIES)('%s', async (query, t) => {
    if (!post) return t.skip();
    const run = async (h: StoreHandle) =>
      (await h.store.search({ query: parseQuery(query), limit: 100 })).hits
        .map((r) => names.get(r.id))
        .sort();
    expect(await run(post)).toEqual(await run(duck));
  });
});
