import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/query/parse.js';
import {
  addClause,
  clauseFor,
  composeQuery,
  highlightPattern,
  locateError,
  quoteValue,
  splitMatches,
  tokenAt,
} from '../../ui/src/query.js';

/**
 * The UI's query editing (ui/src/query.ts) against the server's own parser: whatever the UI writes
 * into a query must parse, and must mean the literal value the user clicked or typed.
 */

const TRICKY = [
  'server-1234',
  'Failed to connect',
  'a "quoted" \\ value',
  '-leading-dash',
  '/not/a/regex',
  '[bracket',
  '>=500',
  'OR',
  'with:colon',
  'star*and?question',
  '(parens)',
  'ünïcödé',
];

describe('quoting values the UI puts into queries', () => {
  it('every value reads back as exactly itself', () => {
    for (const value of TRICKY) {
      const node = parseQuery(`resourceId:${quoteValue(value)}`);
      expect(node, value).toMatchObject({ field: 'resourceId', value });
      expect(['term', 'phrase']).toContain(node.kind);
    }
  });

  it('clauses from record values keep numbers, booleans, arrays and nested paths', () => {
    expect(parseQuery(clauseFor('http.status', 504)!)).toEqual({
      kind: 'term',
      field: 'http.status',
      value: '504',
    });
    expect(parseQuery(clauseFor('ok', true)!)).toEqual({ kind: 'term', field: 'ok', value: 'true' });
    expect(parseQuery(clauseFor('tags', ['a', 'b'])!)).toMatchObject({ field: 'tags', value: '["a","b"]' });
    expect(parseQuery(clauseFor('weird key', 'v')!)).toMatchObject({ field: 'weird key', value: 'v' });
    expect(parseQuery(clauseFor('gone', null)!)).toEqual({ kind: 'exists', field: 'gone' });
    expect(clauseFor('resourceId', '')).toBeNull(); // the language cannot say "equals the empty string"
  });

  it('filter for / out adds a clause, parenthesising a top-level OR', () => {
    expect(addClause('', 'level:error', 'for')).toBe('level:error');
    expect(addClause('timeout', 'level:error', 'out')).toBe('timeout AND -level:error');
    expect(addClause('a OR b', 'level:error', 'for')).toBe('(a OR b) AND level:error');
    expect(addClause('(a OR b) c', 'level:error', 'for')).toBe('(a OR b) c AND level:error');
    expect(addClause('"x OR y"', 'level:error', 'for')).toBe('"x OR y" AND level:error');
    expect(addClause('level:error', 'level:error', 'for')).toBe('level:error');
    for (const q of ['a OR b', 'x', '"p q" OR r']) parseQuery(addClause(q, clauseFor('f', 'v w')!, 'out'));
  });
});

describe('composing the field filters with the query bar', () => {
  it('makes the four sample queries from the filters', () => {
    expect(composeQuery('', { level: 'error' }).text).toBe('level:error');
    expect(composeQuery('', { message: 'Failed to connect' }).text).toBe('message:"Failed to connect"');
    expect(composeQuery('', { resourceId: 'server-1234' }).text).toBe('resourceId:server-1234');
    expect(
      composeQuery('', { timestampFrom: '2023-09-10T00:00:00Z', timestampTo: '2023-09-15T23:59:59Z' }).text,
    ).toBe('timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]');
    expect(composeQuery('', { timestampTo: 'now-1h' }).text).toBe('timestamp:<=now-1h');
  });

  it('ANDs filters with the bar and keeps wildcards typed into a filter', () => {
    const c = composeQuery('a OR b', {
      resourceId: 'server-12*',
      'metadata.parentResourceId': 'server 0987',
    });
    expect(c.text).toBe('resourceId:server-12* AND metadata.parentResourceId:"server 0987" AND (a OR b)');
    expect(parseQuery(c.text)).toMatchObject({ kind: 'and' });
  });

  it('maps a server error position back to the input it came from', () => {
    const c = composeQuery('level:error AND (x', { resourceId: 'server-1' });
    let position = -1;
    try {
      parseQuery(c.text);
    } catch (err) {
      position = (err as { position: number }).position;
    }
    expect(locateError(c, position)).toEqual({ source: 'q', position: 16 });
    const bad = composeQuery('ok', { timestampFrom: 'yesterday' });
    expect(() => parseQuery(bad.text)).toThrow();
    expect(locateError(bad, 12).source).toBe('timestampFrom');
  });
});

describe('autocomplete tokens', () => {
  it('finds the field name or the value being typed under the caret', () => {
    expect(tokenAt('level:er', 8)).toMatchObject({ field: 'level', prefix: 'er', start: 0 });
    expect(tokenAt('a AND reso', 10)).toMatchObject({ field: null, prefix: 'reso', start: 6 });
    expect(tokenAt('-resourceId:"serv', 17)).toMatchObject({
      field: 'resourceId',
      prefix: 'serv',
      sign: '-',
    });
    expect(tokenAt('(level:warn OR lev', 18)).toMatchObject({ field: null, prefix: 'lev', start: 15 });
  });
});

describe('highlighting', () => {
  const marks = (q: string, text: string) =>
    splitMatches(text, highlightPattern(q))
      .filter((s) => s.hit)
      .map((s) => s.text);

  it('marks words, phrases, wildcards and regexes in any case, as whole words', () => {
    expect(marks('"failed to connect"', 'Failed  to connect to DB')).toEqual(['Failed  to connect']);
    expect(marks('timeout', 'Timeout, timeouts, TIMEOUT')).toEqual(['Timeout', 'TIMEOUT']);
    expect(marks('conn*', 'connect connection reconnect')).toEqual(['connect', 'connection']);
    expect(marks('message:/conn(ect|ection) refused/', 'connection refused')).toEqual(['connection refused']);
  });

  it('does not mark negated clauses, other fields or operators', () => {
    expect(marks('level:error -timeout NOT (retry OR db) AND ok', 'timeout retry db ok error')).toEqual([
      'ok',
    ]);
    expect(marks('resourceId:db', 'db')).toEqual([]);
  });

  it('keeps the text intact: the pieces join back into it', () => {
    const text = '<img src=x onerror=alert(1)> Failed to connect';
    const parts = splitMatches(text, highlightPattern('"failed to connect" onerror'));
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['onerror', 'Failed to connect']);
  });
});

describe('the UI source', () => {
  it('never hands text to the HTML parser', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const root = path.resolve(import.meta.dirname, '../../ui/src');
    const files = (await readdir(root, { recursive: true })).filter((f) => /\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const code = await readFile(path.join(root, f), 'utf8');
      expect(code, f).not.toMatch(
        /\.(inner|outer)HTML\s*=|dangerouslySetInnerHTML|insertAdjacentHTML|document\.write/,
      );
    }
  });
});
