import { describe, expect, it } from 'vitest';
import { re2ToPostgres } from './postgres.js';

describe('RE2 syntax rewritten for PostgreSQL ARE', () => {
  it.each([
    ['\\btimeout\\b', '\\ytimeout\\y'],
    ['a\\Bb', 'a\\Yb'],
    ['end\\z', 'end\\Z'],
    ['(?P<word>conn)ect', '(conn)ect'],
    ['\\pL+', '[[:alpha:]]+'],
    ['\\p{L}\\PN', '[[:alpha:]][^[:digit:]]'],
    ['[\\pL_-]', '[[:alpha:]_-]'],
    ['\\x{e9}', '\\U000000e9'],
    ['\\Qa.b*c\\E+', 'a\\.b\\*c+'],
    // Unchanged: escapes both engines read the same, classes, a `]` first in a class, `\b` in a class.
    ['\\d+\\s\\w', '\\d+\\s\\w'],
    ['[]a]\\b', '[]a]\\y'],
    ['[^]\\b]', '[^]\\b]'],
    ['[[:alpha:]]\\b', '[[:alpha:]]\\y'],
    ['^db-\\d+$', '^db-\\d+$'],
  ])('%s → %s', (re2, are) => {
    expect(re2ToPostgres(re2)).toBe(are);
  });
});
