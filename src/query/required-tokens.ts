import type { QueryNode } from './ast.js';
import { resolveField } from './fields.js';
import { isWordChar, splitWords } from './sql/patterns.js';

/**
 * What a block of records must contain for a query to possibly match one of them: the input of
 * per-block token filters (store/duckdb/token-filter.ts). `null` means "any block may match":
 * a filter may only ever skip blocks that certainly hold no match, so everything this cannot
 * reason about exactly (NOT, wildcards, regexes, ranges, other fields) is `null`, never a guess.
 */
export type TokenNeed =
  | { kind: 'and'; children: TokenNeed[] }
  | { kind: 'or'; children: TokenNeed[] }
  /**
   * A word or phrase in the message: every key in `keys` must be a token of the message (keys
   * are lowercase). With `keywordValue`, the node also matches a record whose resourceId,
   * traceId, spanId or commit equals that value (a bare word: sql/term.ts).
   */
  | { kind: 'text'; keys: string[]; keywordValue: string | null };

export function requiredTokens(node: QueryNode): TokenNeed | null {
  switch (node.kind) {
    case 'and': {
      const children = node.children.map(requiredTokens).filter((c): c is TokenNeed => c !== null);
      if (children.length === 0) return null;
      return children.length === 1 ? children[0]! : { kind: 'and', children };
    }
    case 'or': {
      const children = node.children.map(requiredTokens);
      if (children.length === 0 || children.some((c) => c === null)) return null;
      return children.length === 1 ? children[0]! : { kind: 'or', children: children as TokenNeed[] };
    }
    case 'term':
    case 'phrase': {
      if (node.field !== null && resolveField(node.field).kind !== 'message') return null;
      const keys = messageKeys(node.value);
      if (keys.length === 0) return null;
      return { kind: 'text', keys, keywordValue: node.field === null ? node.value : null };
    }
    default:
      // NOT never prunes (a block without the word is exactly where NOT matches); wildcards and
      // regexes have no complete token to require; ranges and `field:*` are not about tokens.
      return null;
  }
}

/**
 * The tokens a message certainly contains when the word or phrase `text` matches it
 * (sql/message.ts): each maximal run of word characters in the text is a whole token of the
 * message, since the regex demands a word boundary wherever the text begins or ends with a word
 * character, and any other neighbour is a non-word character matched literally.
 *
 * Only runs inside words that are wholly ASCII are used: for them the regex engine (RE2) and
 * JavaScript agree on which characters are word characters and on case folding (to which the
 * token filter's key adds the two non-ASCII letters that fold to ASCII ones, K and ſ). Runs of
 * ASCII digits only are not in the filters (they are most of the distinct tokens of typical logs:
 * counters, durations, ports, addresses), so they are not required either.
 */
export function messageKeys(text: string): string[] {
  const keys = new Set<string>();
  for (const word of splitWords(text)) {
    if (!/^[\x20-\x7e]*$/.test(word)) continue;
    let run = '';
    for (const c of `${word} `) {
      if (c !== ' ' && isWordChar(c)) {
        run += c;
        continue;
      }
      if (run !== '' && !/^[0-9]+$/.test(run)) keys.add(run.toLowerCase());
      run = '';
    }
  }
  return [...keys];
}
