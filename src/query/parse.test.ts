import { describe, expect, it } from 'vitest';
import { parseQuery, QuerySyntaxError } from './parse.js';

const term = (field: string | null, value: string) => ({ kind: 'term', field, value });

describe('parseQuery', () => {
  it('treats an empty query and * as everything', () => {
    expect(parseQuery('')).toEqual({ kind: 'all' });
    expect(parseQuery('   ')).toEqual({ kind: 'all' });
    expect(parseQuery('*')).toEqual({ kind: 'all' });
  });

  it('parses bare words, phrases and field values', () => {
    expect(parseQuery('timeout')).toEqual(term(null, 'timeout'));
    expect(parseQuery('"failed to connect"')).toEqual({ kind: 'phrase', field: null, value: 'failed to connect' });
    expect(parseQuery('level:error')).toEqual(term('level', 'error'));
    expect(parseQuery('resourceId:"server 1"')).toEqual({ kind: 'phrase', field: 'resourceId', value: 'server 1' });
    expect(parseQuery('metadata.parentResourceId:server-0987')).toEqual(term('metadata.parentResourceId', 'server-0987'));
  });

  it('joins adjacent clauses with AND and honours NOT > AND > OR', () => {
    expect(parseQuery('a b')).toEqual({ kind: 'and', children: [term(null, 'a'), term(null, 'b')] });
    expect(parseQuery('a OR b AND c')).toEqual({
      kind: 'or',
      children: [term(null, 'a'), { kind: 'and', children: [term(null, 'b'), term(null, 'c')] }],
    });
    expect(parseQuery('NOT a AND b')).toEqual({ kind: 'and', children: [{ kind: 'not', child: term(null, 'a') }, term(null, 'b')] });
    expect(parseQuery('(a OR b) c')).toEqual({
      kind: 'and',
      children: [{ kind: 'or', children: [term(null, 'a'), term(null, 'b')] }, term(null, 'c')],
    });
    expect(parseQuery('a && b || !c')).toEqual({
      kind: 'or',
      children: [{ kind: 'and', children: [term(null, 'a'), term(null, 'b')] }, { kind: 'not', child: term(null, 'c') }],
    });
  });

  it('reads -x as NOT and +x as the plain clause', () => {
    expect(parseQuery('-level:debug')).toEqual({ kind: 'not', child: term('level', 'debug') });
    expect(parseQuery('+level:debug')).toEqual(term('level', 'debug'));
    expect(parseQuery('server-1234')).toEqual(term(null, 'server-1234'));
  });

  it('applies a field to a parenthesised group', () => {
    expect(parseQuery('level:(error OR fatal)')).toEqual({ kind: 'or', children: [term('level', 'error'), term('level', 'fatal')] });
  });

  it('parses wildcards, keeping escapes in the pattern', () => {
    expect(parseQuery('resourceId:server-12*')).toEqual({ kind: 'wildcard', field: 'resourceId', pattern: 'server-12*' });
    expect(parseQuery('conn?ct')).toEqual({ kind: 'wildcard', field: null, pattern: 'conn?ct' });
    expect(parseQuery('a\\*b')).toEqual(term(null, 'a*b'));
    expect(parseQuery('resourceId:server\\:1')).toEqual(term('resourceId', 'server:1'));
  });

  it('parses regular expressions with an optional i flag', () => {
    expect(parseQuery('message:/conn(ect|ection) refused/')).toEqual({
      kind: 'regex',
      field: 'message',
      pattern: 'conn(ect|ection) refused',
      caseInsensitive: false,
    });
    expect(parseQuery('/a\\/b/i')).toEqual({ kind: 'regex', field: null, pattern: 'a/b', caseInsensitive: true });
  });

  it('parses ranges with unquoted timestamps, exclusive ends and open ends', () => {
    expect(parseQuery('timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]')).toEqual({
      kind: 'range',
      field: 'timestamp',
      gte: '2023-09-10T00:00:00Z',
      lte: '2023-09-15T23:59:59Z',
    });
    expect(parseQuery('n:{1 TO 5]')).toEqual({ kind: 'range', field: 'n', gt: '1', lte: '5' });
    expect(parseQuery('n:[* TO 5}')).toEqual({ kind: 'range', field: 'n', lt: '5' });
  });

  it('parses comparisons and existence', () => {
    expect(parseQuery('http.status:>=500')).toEqual({ kind: 'range', field: 'http.status', gte: '500' });
    expect(parseQuery('timestamp:<now-1h')).toEqual({ kind: 'range', field: 'timestamp', lt: 'now-1h' });
    expect(parseQuery('traceId:*')).toEqual({ kind: 'exists', field: 'traceId' });
  });

  it.each([
    ['level:', 6, 'Expected a value after "level:"'],
    ['(a OR b', 7, 'Unclosed "("'],
    ['a OR', 4, 'Expected a clause after OR'],
    ['a AND', 5, 'Expected a clause after AND'],
    ['NOT', 3, 'Expected a clause after NOT'],
    ['a)', 1, 'Unmatched ")"'],
    ['"unclosed', 0, 'Unterminated phrase'],
    ['message:/abc', 8, 'Unterminated regular expression'],
    ['t:[a TO', 7, 'Unterminated range'],
    ['t:[a b]', 5, 'Expected "TO"'],
    [':x', 0, 'Expected a field name'],
    ['()', 1, 'Empty parentheses'],
    ['x:/(a)\\1/', 6, 'Backreferences'],
    ['x:/(?=a)/', 3, 'Lookaround'],
    ['[1 TO 2]', 0, 'A range needs a field'],
  ])('rejects %j at position %i', (query, position, message) => {
    let error: unknown;
    try {
      parseQuery(query);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(QuerySyntaxError);
    expect((error as QuerySyntaxError).position).toBe(position);
    expect((error as QuerySyntaxError).message).toContain(message);
  });

  it('bounds query length and nesting instead of crashing', () => {
    expect(() => parseQuery('a '.repeat(3000))).toThrow(QuerySyntaxError);
    expect(() => parseQuery(`${'('.repeat(200)}a${')'.repeat(200)}`)).toThrow(/deeper than 64/);
    expect(() => parseQuery('-'.repeat(500) + 'a')).toThrow(QuerySyntaxError);
  });
});
