import { describe, expect, it } from 'vitest';
import type { QueryNode } from './ast.js';
import { MAX_QUERY_LENGTH, parseQuery, QuerySyntaxError } from './parse.js';

const term = (field: string | null, value: string): QueryNode => ({ kind: 'term', field, value });
const not = (child: QueryNode): QueryNode => ({ kind: 'not', child });
const and = (...children: QueryNode[]): QueryNode => ({ kind: 'and', children });
const or = (...children: QueryNode[]): QueryNode => ({ kind: 'or', children });

describe('parseQuery', () => {
  it('reads an empty query, whitespace and * as everything', () => {
    expect(parseQuery('')).toEqual({ kind: 'all' });
    expect(parseQuery(' \t\n')).toEqual({ kind: 'all' });
    expect(parseQuery('*')).toEqual({ kind: 'all' });
  });

  it('reads bare words, phrases and field values', () => {
    expect(parseQuery('timeout')).toEqual(term(null, 'timeout'));
    expect(parseQuery('"failed to connect"')).toEqual({
      kind: 'phrase',
      field: null,
      value: 'failed to connect',
    });
    expect(parseQuery('level:error')).toEqual(term('level', 'error'));
    expect(parseQuery('level: error')).toEqual(term('level', 'error'));
    expect(parseQuery('resourceId:"server 1"')).toEqual({
      kind: 'phrase',
      field: 'resourceId',
      value: 'server 1',
    });
    expect(parseQuery('x:"say \\"hi\\""')).toEqual({ kind: 'phrase', field: 'x', value: 'say "hi"' });
    expect(parseQuery('metadata.parentResourceId:server-0987')).toEqual(
      term('metadata.parentResourceId', 'server-0987'),
    );
    expect(parseQuery('server-1234')).toEqual(term(null, 'server-1234'));
  });

  it('unescapes backslashes in words and field names', () => {
    expect(parseQuery('resourceId:server\\:1')).toEqual(term('resourceId', 'server:1'));
    expect(parseQuery('a\\ b\\(c\\)')).toEqual(term(null, 'a b(c)'));
    expect(parseQuery('odd\\:field:1')).toEqual(term('odd:field', '1'));
    expect(parseQuery('a\\*b')).toEqual(term(null, 'a*b'));
  });

  it('joins adjacent clauses with AND and binds NOT > AND > OR', () => {
    expect(parseQuery('a b')).toEqual(and(term(null, 'a'), term(null, 'b')));
    expect(parseQuery('a OR b AND c')).toEqual(or(term(null, 'a'), and(term(null, 'b'), term(null, 'c'))));
    expect(parseQuery('a b OR c')).toEqual(or(and(term(null, 'a'), term(null, 'b')), term(null, 'c')));
    expect(parseQuery('NOT a AND b')).toEqual(and(not(term(null, 'a')), term(null, 'b')));
    expect(parseQuery('a NOT b')).toEqual(and(term(null, 'a'), not(term(null, 'b'))));
    expect(parseQuery('(a OR b) c')).toEqual(and(or(term(null, 'a'), term(null, 'b')), term(null, 'c')));
    expect(parseQuery('a && b || !c')).toEqual(
      or(and(term(null, 'a'), term(null, 'b')), not(term(null, 'c'))),
    );
    expect(parseQuery('NOT(a)')).toEqual(not(term(null, 'a')));
    expect(parseQuery('NOT NOT a')).toEqual(not(not(term(null, 'a'))));
  });

  it('keeps lower-case and, or, not as words', () => {
    expect(parseQuery('a or b')).toEqual(and(term(null, 'a'), term(null, 'or'), term(null, 'b')));
  });

  it('reads -x as NOT and +x as the clause itself', () => {
    expect(parseQuery('-level:debug')).toEqual(not(term('level', 'debug')));
    expect(parseQuery('+level:debug')).toEqual(term('level', 'debug'));
    expect(parseQuery('-(a OR b)')).toEqual(not(or(term(null, 'a'), term(null, 'b'))));
    expect(parseQuery('temp:-5')).toEqual(term('temp', '-5'));
  });

  it('applies a field to each clause of a group', () => {
    expect(parseQuery('level:(error OR fatal)')).toEqual(or(term('level', 'error'), term('level', 'fatal')));
    expect(parseQuery('x:(a -b "c d")')).toEqual(
      and(term('x', 'a'), not(term('x', 'b')), { kind: 'phrase', field: 'x', value: 'c d' }),
    );
    expect(parseQuery('n:(>5 OR [1 TO 2])')).toEqual(
      or({ kind: 'range', field: 'n', gt: '5' }, { kind: 'range', field: 'n', gte: '1', lte: '2' }),
    );
  });

  it('reads wildcards, keeping only wildcard escapes in the pattern', () => {
    expect(parseQuery('resourceId:server-12*')).toEqual({
      kind: 'wildcard',
      field: 'resourceId',
      pattern: 'server-12*',
    });
    expect(parseQuery('serv?r')).toEqual({ kind: 'wildcard', field: null, pattern: 'serv?r' });
    expect(parseQuery('conn*')).toEqual({ kind: 'wildcard', field: null, pattern: 'conn*' });
    expect(parseQuery('a\\*b*\\:')).toEqual({ kind: 'wildcard', field: null, pattern: 'a\\*b*:' });
  });

  it('reads regular expressions with an optional i flag', () => {
    expect(parseQuery('message:/conn(ect|ection) refused/')).toEqual({
      kind: 'regex',
      field: 'message',
      pattern: 'conn(ect|ection) refused',
      caseInsensitive: false,
    });
    expect(parseQuery('/abc/i')).toEqual({
      kind: 'regex',
      field: null,
      pattern: 'abc',
      caseInsensitive: true,
    });
    // `\/` stays escaped: RE2 reads it as a slash.
    expect(parseQuery('path:/a\\/b/')).toEqual({
      kind: 'regex',
      field: 'path',
      pattern: 'a\\/b',
      caseInsensitive: false,
    });
  });

  it('reads ranges with unquoted timestamps, exclusive and open ends', () => {
    expect(parseQuery('timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]')).toEqual({
      kind: 'range',
      field: 'timestamp',
      gte: '2023-09-10T00:00:00Z',
      lte: '2023-09-15T23:59:59Z',
    });
    expect(parseQuery('n:{1 TO 5}')).toEqual({ kind: 'range', field: 'n', gt: '1', lt: '5' });
    expect(parseQuery('n:[1 TO 5}')).toEqual({ kind: 'range', field: 'n', gte: '1', lt: '5' });
    expect(parseQuery('n:[* TO 5]')).toEqual({ kind: 'range', field: 'n', lte: '5' });
    expect(parseQuery('a.b.c:[x TO *]')).toEqual({ kind: 'range', field: 'a.b.c', gte: 'x' });
    expect(parseQuery('n:["a b" TO "*"]')).toEqual({ kind: 'range', field: 'n', gte: 'a b', lte: '*' });
    expect(parseQuery('n:[* TO *]')).toEqual({ kind: 'exists', field: 'n' });
  });

  it('reads comparisons and existence', () => {
    expect(parseQuery('http.status:>=500')).toEqual({ kind: 'range', field: 'http.status', gte: '500' });
    expect(parseQuery('http.status:>500')).toEqual({ kind: 'range', field: 'http.status', gt: '500' });
    expect(parseQuery('http.status:<=500')).toEqual({ kind: 'range', field: 'http.status', lte: '500' });
    expect(parseQuery('timestamp:<now-1h')).toEqual({ kind: 'range', field: 'timestamp', lt: 'now-1h' });
    expect(parseQuery('traceId:*')).toEqual({ kind: 'exists', field: 'traceId' });
  });

  it.each([
    ['level:', 6, 'Expected a value after "level:"'],
    ['level:)', 6, 'Expected a value after "level:"'],
    ['(a OR b', 0, 'Expected ")" to close the "("'],
    ['a)', 1, 'Unmatched ")"'],
    ['()', 1, 'Expected a clause inside the parentheses'],
    ['a OR', 4, 'Expected a clause after "OR"'],
    ['a AND', 5, 'Expected a clause after "AND"'],
    ['AND a', 0, 'Expected a clause before "AND"'],
    ['a OR OR b', 5, 'Expected a clause after "OR"'],
    ['NOT', 3, 'Expected a clause after "NOT"'],
    ['- a', 1, 'Expected a clause right after "-"'],
    ['"unclosed', 0, `Expected a closing '"'`],
    ['""', 0, 'Expected text inside the quotes'],
    ['message:/abc', 8, 'Expected a closing "/"'],
    ['/api/v1', 5, 'only the "i" flag'],
    ['t:[a TO', 7, 'Expected a value after "TO"'],
    ['t:[a b]', 5, 'Expected "TO"'],
    ['t:[a TO b', 2, 'Expected "]" or "}" to close the range'],
    [':x', 0, 'Expected a field name'],
    ['a:b:c', 3, 'Unexpected ":"'],
    ['a"b"', 1, 'Expected a space or an operator after "a"'],
    ['[1 TO 2]', 0, 'A range needs a field'],
    ['>5', 0, 'A comparison needs a field'],
    ['x:>', 3, 'Expected a value after "x:>"'],
    ['*:x', 0, 'Field names cannot contain wildcards'],
    ['a\\', 1, 'Expected a character after "\\"'],
    ['timestamp:>yesterday', 11, 'Expected a time'],
    ['id:abc', 3, 'Expected a record id'],
    ['x:/(a)\\1/', 6, 'Backreferences'],
    ['x:/(?=a)/', 3, 'Lookahead'],
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
    expect((error as QuerySyntaxError).message).toMatch(new RegExp(`at position ${position}$`));
  });

  it('names what it expected, with the position, in the message', () => {
    expect(() => parseQuery('level:')).toThrow('Expected a value after "level:" at position 6');
  });

  it('bounds query length and nesting with errors, not crashes', () => {
    expect(() => parseQuery('a'.repeat(MAX_QUERY_LENGTH + 1))).toThrow(/longer than 4096/);
    expect(parseQuery('a'.repeat(MAX_QUERY_LENGTH))).toEqual(term(null, 'a'.repeat(MAX_QUERY_LENGTH)));
    expect(() => parseQuery(`${'('.repeat(65)}a${')'.repeat(65)}`)).toThrow(/deeper than 64/);
    expect(parseQuery(`${'('.repeat(64)}a${')'.repeat(64)}`)).toEqual(term(null, 'a'));
    expect(() => parseQuery(`${'-'.repeat(500)}a`)).toThrow(/deeper than 64/);
    expect(() => parseQuery('NOT '.repeat(1000))).toThrow(QuerySyntaxError);
  });
});
