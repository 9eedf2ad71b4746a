import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryNode } from '../ast.js';
import { parseQuery, QuerySyntaxError } from '../parse.js';
import { FIXTURE_ROWS, openQueryFixture, type QueryFixture } from '../test-fixture.js';
import { compileWhere } from './compile.js';
import { duckdbDialect } from './duckdb.js';

/**
 * User text never becomes SQL: hostile field names and values compile to placeholders, run, match
 * nothing and leave the table alone.
 */
let fixture: QueryFixture;
beforeAll(async () => {
  fixture = await openQueryFixture();
});
afterAll(() => fixture.close());

const HOSTILE = [
  "a');DROP TABLE logs;--",
  "x'.y",
  "' OR 1=1 --",
  '"; DELETE FROM logs; --',
  '$1 OR TRUE',
  '/a/b~1',
  "$.a'b",
];

/** The SQL with its fixed string literals removed: whatever quote is left came from the user. */
function userQuotes(sql: string): string[] {
  return sql.replace(/'%Y-%m-%dT%H:%M:%S\.%fZ'|'i'|'\\'/g, '').match(/['"]/g) ?? [];
}

describe('injection attempts', () => {
  it.each([
    `resourceId:"x' OR 1=1 --"`,
    `a'\\)\\;DROP\\ TABLE\\ logs\\;--:1`,
    `x'.y:1`,
    `"'; DELETE FROM logs; --"`,
    `$1:x`,
    `a.b\\/c~1:/'.*/`,
    `message:/'\\); DROP TABLE logs; --/`,
    `level:"error' OR '1'='1"`,
    `resourceId:*'*`,
    `'x:[a' TO b']`,
    `x\\':*`,
  ])('%s compiles to parameters and matches nothing', async (query) => {
    const params: unknown[] = [];
    const sql = compileWhere(parseQuery(query), duckdbDialect, params);
    expect(userQuotes(sql)).toEqual([]);
    expect(await fixture.match(query)).toEqual([]);
    expect(await fixture.rowCount()).toBe(FIXTURE_ROWS.length);
  });

  it('rejects an unescaped ")" in a field name as a syntax error, before any SQL', () => {
    expect(() => parseQuery("a');DROP TABLE x;--:1")).toThrow(QuerySyntaxError);
  });

  it.each(HOSTILE)('accepts any field name in every filter kind: %s', async (field) => {
    const nodes: QueryNode[] = [
      { kind: 'term', field, value: field },
      { kind: 'phrase', field, value: `${field} ${field}` },
      { kind: 'wildcard', field, pattern: `${field}*` },
      { kind: 'regex', field, pattern: "'", caseInsensitive: true },
      { kind: 'range', field, gte: field, lt: '5' },
      { kind: 'exists', field },
      { kind: 'not', child: { kind: 'term', field: null, value: field } },
    ];
    for (const node of nodes) {
      const params: unknown[] = [];
      const sql = compileWhere(node, duckdbDialect, params);
      expect(sql).not.toContain(field);
      expect(userQuotes(sql)).toEqual([]);
      const reader = await fixture.conn.runAndReadAll(
        `SELECT count(*) FROM logs WHERE ${sql}`,
        params as never[],
      );
      const count = Number(reader.getRows()[0]![0]);
      expect(count).toBe(node.kind === 'not' ? FIXTURE_ROWS.length : 0);
    }
    expect(await fixture.rowCount()).toBe(FIXTURE_ROWS.length);
  });
});
