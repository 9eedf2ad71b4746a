import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueryTable, type QueryTable } from '../../../test/fixtures/query-table.js';
import { parseQuery } from '../parse.js';
import { compileWhere } from './compile.js';
import { duckdbDialect } from './duckdb.js';

let table: QueryTable;
beforeAll(async () => {
  table = await openQueryTable();
});
afterAll(() => table.close());

const matches = (q: string) => table.match(q);

describe('words and phrases in the message', () => {
  it('matches whole words in any case, not substrings', async () => {
    // "timeouts" is another word; "ids" matches via its traceId keyword value
    expect(await matches('timeout')).toEqual(['ids', 'timeout', 'upper']);
    expect(await matches('message:timeout')).toEqual(['ids', 'timeout', 'upper']);
  });

  it('matches a phrase at word boundaries with any whitespace between words', async () => {
    expect(await matches('"Failed to connect"')).toEqual(['ref', 'spaces']);
    expect(await matches('"to conn"')).toEqual([]);
  });

  it('matches a bare word exactly against keyword fields too', async () => {
    expect(await matches('server-1234')).toEqual(['ref']);
    expect(await matches('abc1234')).toEqual(['spaces']);
  });

  it('handles words that end in punctuation', async () => {
    expect(await matches('"C++"')).toEqual(['nokeys']);
  });
});

describe('fields', () => {
  it('compares level by name in any case, with aliases', async () => {
    expect(await matches('level:error')).toEqual(['ref', 'refused', 'spaces', 'upper']);
    expect(await matches('level:ERROR')).toEqual(['ref', 'refused', 'spaces', 'upper']);
    expect(await matches('level:warning')).toEqual(['timeout']);
    expect(await matches('level:nonsense')).toEqual([]);
  });

  it('compares keyword fields exactly and case-sensitively', async () => {
    expect(await matches('resourceId:server-1234')).toEqual(['ref']);
    expect(await matches('resourceId:SERVER-1234')).toEqual([]);
    expect(await matches('traceId:abc-xyz-123 AND spanId:span-456 AND commit:5e5342f')).toEqual(['ref']);
  });

  it('reaches nested fields by dotted path and dotted keys as sent', async () => {
    expect(await matches('metadata.parentResourceId:server-0987')).toEqual(['ref']);
    expect(await matches('service.name:checkout')).toEqual(['otel']);
    expect(await matches('user.name:"o\'brien"')).toEqual(['nokeys']);
  });

  it('matches numbers and numeric strings alike, and booleans', async () => {
    expect(await matches('http.status:504')).toEqual(['timeout']);
    expect(await matches('http.status:200')).toEqual(['otel']);
    expect(await matches('ok:true')).toEqual(['otel']);
  });
});

describe('wildcards and regular expressions', () => {
  it('treats * and ? as wildcards over whole keyword values', async () => {
    expect(await matches('resourceId:server-12*')).toEqual(['ref', 'timeout', 'timeouts']);
    expect(await matches('resourceId:server-?')).toEqual(['connect', 'refused']);
    expect(await matches('resourceId:server_1%')).toEqual(['punct']); // LIKE metacharacters are literal
  });

  it('matches a word prefix in the message', async () => {
    expect(await matches('message:timeout*')).toEqual(['ids', 'timeout', 'timeouts', 'upper']);
    expect(await matches('conn*')).toEqual(['connect', 'ref', 'refused', 'spaces']);
  });

  it('runs regular expressions unanchored, optionally case-insensitive', async () => {
    expect(await matches('message:/conn(ect|ection) refused/')).toEqual(['connect', 'refused']);
    expect(await matches('/^timeout/')).toEqual(['ids']);
    expect(await matches('/^timeout/i')).toEqual(['ids', 'upper']);
    expect(await matches('resourceId:/^db-\\d$/')).toEqual(['upper']);
  });
});

describe('ranges', () => {
  it('selects a time window (the assignment sample query)', async () => {
    expect(await matches('timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]')).toEqual([
      'connect', 'ids', 'nokeys', 'punct', 'ref', 'refused', 'timeout', 'timeouts', 'upper',
    ]);
    expect(await matches('timestamp:{2023-09-10T00:00:00Z TO 2023-09-11T00:00:00Z]')).toEqual(['punct']);
  });

  it('compares numbers numerically and levels by severity', async () => {
    expect(await matches('http.status:>=500')).toEqual(['refused', 'timeout']);
    expect(await matches('http.status:[100 TO 299]')).toEqual(['otel']);
    expect(await matches('level:>=error')).toEqual(['connect', 'ref', 'refused', 'spaces', 'upper']);
  });

  it('rejects a bound that is not a time', () => {
    expect(() => compileWhere(parseQuery('timestamp:>yesterday'), duckdbDialect, [])).toThrow(/not a time/);
  });
});

describe('boolean logic', () => {
  it('combines filters', async () => {
    expect(await matches('level:error AND NOT resourceId:server-1234')).toEqual(['refused', 'spaces', 'upper']);
    expect(await matches('level:fatal OR level:warn')).toEqual(['connect', 'timeout']);
    expect(await matches('(level:fatal OR level:warn) resourceId:server-9')).toEqual(['connect']);
  });

  it('keeps records without the field when negating it', async () => {
    expect(await matches('-resourceId:server-9')).toContain('otel');
    expect((await matches('-resourceId:server-9')).length).toBe(9);
  });

  it('tests existence', async () => {
    expect(await matches('commit:*')).toEqual(['ref', 'spaces']);
    expect(await matches('http.status:*')).toEqual(['otel', 'refused', 'timeout']);
  });
});

describe('safety', () => {
  it.each([
    `resourceId:"x' OR 1=1 --"`,
    `a'\\)\\;DROP\\ TABLE\\ logs\\;--:1`,
    `metadata.x'y:1`,
    `"'; DELETE FROM logs; --"`,
    `x\\"y:1`,
    `$1:x`,
    `a.b\\/c~1:/'.*/`,
  ])('keeps %s as data, never SQL', async (q) => {
    expect(await matches(q)).toEqual([]);
    const count = (await table.conn.runAndReadAll('SELECT count(*) FROM logs')).getRows()[0]![0];
    expect(Number(count)).toBe(11);
  });

  it('puts every value in parameters', () => {
    const params: unknown[] = [];
    const sql = compileWhere(parseQuery(`resourceId:"evil'value" AND weird.field:x`), duckdbDialect, params);
    expect(sql).not.toContain('evil');
    expect(sql).not.toContain('weird');
    expect(params).toContain("evil'value");
  });
});
