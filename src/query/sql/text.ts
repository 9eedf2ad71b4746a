/**
 * Building blocks for matching inside `message`: words at word boundaries, case-insensitive,
 * with a cheap LIKE pre-filter in front of the (RE2) regex so most rows never reach the regex.
 */

export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, '\\$&');
}

const WORD_START = /^\w/;
const WORD_END = /\w$/;

/** `\b` only where the text itself begins or ends with a word character ("C++" has no end boundary). */
export function bounded(text: string, body: string): string {
  return `${WORD_START.test(text) ? '\\b' : ''}${body}${WORD_END.test(text) ? '\\b' : ''}`;
}

/** Regex for a phrase: its words in order, any run of whitespace between them. */
export function phraseRegex(phrase: string): string {
  const words = phrase.trim().split(/\s+/);
  return `(?i)${bounded(phrase.trim(), words.map(escapeRegex).join('\\s+'))}`;
}

/** LIKE pattern that every phrase match also matches: the words in order. */
export function phraseLike(phrase: string): string {
  return `%${phrase.trim().split(/\s+/).map(escapeLike).join('%')}%`;
}

/** Splits a wildcard pattern (backslash escapes kept) into literal runs and `*` / `?`. */
export function wildcardParts(pattern: string): Array<{ literal: string } | { wild: '*' | '?' }> {
  const out: Array<{ literal: string } | { wild: '*' | '?' }> = [];
  let lit = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      lit += pattern[++i];
    } else if (ch === '*' || ch === '?') {
      if (lit) out.push({ literal: lit });
      lit = '';
      out.push({ wild: ch });
    } else lit += ch;
  }
  if (lit) out.push({ literal: lit });
  return out;
}
