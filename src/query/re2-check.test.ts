import { describe, expect, it } from 'vitest';
import { checkRe2Pattern } from './re2-check.js';
import { QuerySyntaxError } from './syntax-error.js';

function errorAt(pattern: string): { position: number; message: string } | null {
  try {
    checkRe2Pattern(pattern, 0);
    return null;
  } catch (err) {
    if (!(err instanceof QuerySyntaxError)) throw err;
    return { position: err.position, message: err.message };
  }
}

describe('checkRe2Pattern', () => {
  it.each([
    'conn(ect|ection) refused',
    '^timeout$',
    'a*?b+?c??',
    'x{2}y{1,}z{0,3}',
    'a{,3}', // not a repetition in RE2: literal text
    '(?i)abc',
    '(?i:abc)(?s-m:.)',
    '(?P<name>\\d+)',
    '[]a]',
    '[^]a]',
    '[[:alpha:]_-]',
    '[(]',
    '\\pL\\p{Greek}\\PN\\x{41}\\x41',
    '\\Q(*)\\E',
    '\\A\\z\\b\\B\\d\\D\\s\\S\\w\\W',
    '\\.\\/\\-',
    '^*a',
  ])('accepts %j', (pattern) => {
    expect(errorAt(pattern)).toBeNull();
  });

  it.each([
    ['(a)\\1', 3, 'Backreferences'],
    ['(?P<x>a)(?P=x)', 8, 'Named backreferences'],
    ['\\k<x>', 0, 'Named backreferences'],
    ['a(?=b)', 1, 'Lookahead'],
    ['a(?!b)', 1, 'Lookahead'],
    ['(?<=a)b', 0, 'Lookbehind'],
    ['(?<!a)b', 0, 'Lookbehind'],
    ['(?<name>a)', 0, '(?P<name>'],
    ['(?>a)', 0, 'Atomic'],
    ['a**', 2, 'cannot follow another'],
    ['a++', 2, 'cannot follow another'],
    ['a{2}{3}', 4, 'cannot follow another'],
    ['*a', 0, 'Nothing to repeat'],
    ['(+a)', 1, 'Nothing to repeat'],
    ['a|*', 2, 'Nothing to repeat'],
    ['(?i)*a', 4, 'Nothing to repeat'],
    ['a{1001}', 1, 'above 1000'],
    ['(ab', 0, 'Expected ")"'],
    ['ab)', 2, 'Unmatched ")"'],
    ['[ab', 0, 'Expected "]"'],
    ['ab\\', 2, 'Expected a character after "\\"'],
    ['\\y', 0, 'Unsupported escape'],
    ['\\é', 0, 'Unsupported escape'],
    ['(?#comment)', 0, 'Unsupported group syntax'],
  ])('rejects %j at %i', (pattern, position, message) => {
    expect(errorAt(pattern)).toEqual({ position, message: expect.stringContaining(message) });
  });

  it('reports positions in the query, not the pattern', () => {
    expect(() => checkRe2Pattern('(a)\\1', 10)).toThrow('at position 13');
  });
});
