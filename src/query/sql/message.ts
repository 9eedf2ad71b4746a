import type { CompileContext } from './context.js';
import { escapeRegex, isWordChar, longest, splitWords, wildcardPieces } from './patterns.js';

/**
 * Matching inside `message`: words and phrases at word boundaries, case-insensitive, any run of
 * whitespace between a phrase's words. Each is an RE2 regex behind a cheap case-insensitive
 * substring pre-filter (the longest literal), so most rows never reach the regex engine.
 */

/** A word (`timeout` matches "Timeout after 5s", "request timeout." but not "timeouts") or a phrase. */
export function messageText(ctx: CompileContext, text: string): string {
  const words = splitWords(text);
  if (words.length === 0) return 'FALSE';
  const body = words.map(escapeRegex).join('\\s+');
  const regex = bounded(ctx, body, startsWithWordChar(words[0]!), endsWithWordChar(words[words.length - 1]!));
  return prefilteredMatch(ctx, longest(words), regex);
}

/** A word matching a wildcard pattern: `conn*` matches "connection", `*fail?d` matches "unfailed". */
export function messageWildcard(ctx: CompileContext, pattern: string): string {
  const word = `[${ctx.dialect.regexWordChars}]`;
  const pieces = wildcardPieces(pattern);
  const body = pieces
    .map((p) => ('literal' in p ? escapeRegex(p.literal) : p.wild === '*' ? `${word}*` : word))
    .join('');
  const edge = (p: (typeof pieces)[number] | undefined, atStart: boolean): boolean =>
    p !== undefined &&
    ('wild' in p || (atStart ? startsWithWordChar(p.literal) : endsWithWordChar(p.literal)));
  const literals = pieces.flatMap((p) => ('literal' in p ? [p.literal] : []));
  const regex = bounded(ctx, body, edge(pieces[0], true), edge(pieces[pieces.length - 1], false));
  return prefilteredMatch(ctx, longest(literals), regex);
}

/**
 * Word boundaries written as character classes: `\b` is ASCII-only in RE2 (no boundary after
 * "é") and means backspace in PostgreSQL. A boundary is only required where the text itself
 * begins or ends with a word character ("C++" can be followed by anything).
 */
function bounded(ctx: CompileContext, body: string, atStart: boolean, atEnd: boolean): string {
  const nonWord = `[^${ctx.dialect.regexWordChars}]`;
  return `${atStart ? `(?:^|${nonWord})` : ''}${body}${atEnd ? `(?:${nonWord}|$)` : ''}`;
}

function prefilteredMatch(ctx: CompileContext, literal: string, regex: string): string {
  const { dialect } = ctx;
  const message = dialect.column('message');
  const match = dialect.regexMatch(message, ctx.param(regex), true);
  if (literal === '') return match;
  return `(${dialect.containsIgnoringCase(message, ctx.param(literal))} AND ${match})`;
}

function startsWithWordChar(text: string): boolean {
  const first = text.codePointAt(0);
  return first !== undefined && isWordChar(String.fromCodePoint(first));
}

function endsWithWordChar(text: string): boolean {
  const chars = Array.from(text);
  return chars.length > 0 && isWordChar(chars[chars.length - 1]!);
}
