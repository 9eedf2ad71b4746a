/**
 * Turning user text into LIKE and regex patterns. All results are bound as parameters; escaping
 * here is about meaning (a `.` in a word is a dot), not about SQL safety.
 */

/** Escapes regex metacharacters. Only ASCII punctuation: RE2 rejects escaped letters it does not know. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/** A word character as the dialects' `regexWordChars` define it: letter, mark, digit or `_`. */
export function isWordChar(c: string): boolean {
  return /^[\p{L}\p{M}\p{N}_]$/u.test(c);
}

/** Words of a phrase. ASCII whitespace only, the same set RE2's `\s` matches between them. */
export function splitWords(text: string): string[] {
  return text.split(/[\t\n\f\r ]+/).filter((w) => w !== '');
}

export function longest(texts: readonly string[]): string {
  return texts.reduce((a, b) => (b.length > a.length ? b : a), '');
}

export type WildcardPiece = { literal: string } | { wild: '*' | '?' };

/** A wildcard pattern (`*`, `?`; `\*`, `\?`, `\\` escaped) as literal runs and wildcards. */
export function wildcardPieces(pattern: string): WildcardPiece[] {
  const pieces: WildcardPiece[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      literal += pattern[++i];
    } else if (c === '*' || c === '?') {
      if (literal !== '') pieces.push({ literal });
      literal = '';
      pieces.push({ wild: c });
    } else {
      literal += c;
    }
  }
  if (literal !== '') pieces.push({ literal });
  return pieces;
}

/** Whole-value LIKE pattern for a wildcard pattern. */
export function wildcardToLike(pattern: string): string {
  return wildcardPieces(pattern)
    .map((p) => ('literal' in p ? escapeLike(p.literal) : p.wild === '*' ? '%' : '_'))
    .join('');
}
