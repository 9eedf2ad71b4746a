import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { messageKeys } from '../../query/required-tokens.js';
import { buildFilter, mayContain, TOKEN_REGEX, tokenKey } from './token-filter.js';

describe('token filters', () => {
  it('have no false negatives and few false positives', () => {
    const keys = new Set(Array.from({ length: 300 }, (_, i) => `token${i}`));
    const f = buildFilter(keys)!;
    for (const k of keys) expect(mayContain(f, k)).toBe(true);
    let fp = 0;
    for (let i = 0; i < 10_000; i++) if (mayContain(f, `other${i}`)) fp++;
    expect(fp).toBeLessThan(300);
  });

  it('are not built for blocks with too many distinct tokens', () => {
    expect(buildFilter(new Set(Array.from({ length: 5000 }, (_, i) => `t${i}`)))).toBeNull();
  });

  it('key every character RE2 folds onto an ASCII letter to that letter', async () => {
    // Ask RE2 itself (through DuckDB) which code points match an ASCII letter case-insensitively.
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (
      await c.runAndReadAll(
        `SELECT cp, chr(cp::INTEGER) FROM range(128, 196608) t(cp)
         WHERE (cp < 55296 OR cp > 57343) AND regexp_full_match(chr(cp::INTEGER), '[a-z]', 'i')`,
      )
    ).getRows();
    c.closeSync();
    db.closeSync();
    const folded = rows.map((r) => r[1] as string);
    expect(folded.length).toBeGreaterThan(0);
    for (const ch of folded) {
      const key = tokenKey(ch);
      expect(key).toMatch(/^[a-z]$/);
    }
    // The Kelvin sign and the long s; whatever else RE2 folds, the key above must agree.
    expect(folded).toEqual(expect.arrayContaining(['\u212A', 'ſ']));
  });

  it('tokenise messages (in DuckDB) so that every word a query requires is a key', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const messages = [
      'Failed to connect: timeout(5s)',
      'TIMEOUT',
      '\u212Aelvin ſtop',
      'foo.bar_baz 404 abc123',
      'x-y C++ 日本語 café',
    ];
    for (const m of messages) {
      const toks = (await c.runAndReadAll(`SELECT unnest(regexp_extract_all($1, '${TOKEN_REGEX}'))`, [m]))
        .getRows()
        .map((r) => tokenKey(r[0] as string));
      const words = m.split(/\s+/).flatMap((w) => messageKeys(w));
      for (const k of words) expect(toks).toContain(k);
    }
    const kelvin = (
      await c.runAndReadAll(`SELECT unnest(regexp_extract_all($1, '${TOKEN_REGEX}'))`, ['\u212Aelvin ſtop'])
    )
      .getRows()
      .map((r) => tokenKey(r[0] as string));
    expect(kelvin).toEqual(['kelvin', 'stop']);
    c.closeSync();
    db.closeSync();
  });
});
