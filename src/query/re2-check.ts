import { QuerySyntaxError } from './syntax-error.js';

/**
 * Refuses regular expressions that RE2-class engines (DuckDB's RE2, PostgreSQL's ARE) cannot run
 * or would reject, so users get a positioned syntax error instead of a failed search. Linear-time
 * engines have no backreferences or lookaround: those are what make backtracking engines
 * exponential. This is a cheap structural scan, not a full RE2 parser: anything it lets through
 * that the engine still rejects fails at search time.
 *
 * `offset` is where the pattern starts in the query text, for error positions.
 */
export function checkRe2Pattern(pattern: string, offset: number): void {
  const fail = (message: string, index: number): never => {
    throw new QuerySyntaxError(`${message} in the regular expression`, offset + index);
  };
  const openGroups: number[] = [];
  /** Whether a repetition operator here would have something to repeat. */
  let repeatable = false;
  /** Whether the previous item was itself a repetition (RE2 rejects `a**`, `a*+`, `a{2}{3}`). */
  let afterRepeat = false;
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    const repetition = repetitionAt(pattern, i);
    if (repetition) {
      if (afterRepeat) fail(`A repetition cannot follow another one ("${repetition.text}")`, i);
      if (!repeatable) fail(`Nothing to repeat before "${repetition.text}"`, i);
      if (repetition.count > 1000) fail('Repetition counts above 1000 are not supported', i);
      i += repetition.text.length;
      if (pattern[i] === '?') i++; // lazy form
      afterRepeat = true;
      continue;
    }
    afterRepeat = false;
    repeatable = true;
    if (c === '\\') {
      i = skipEscape(pattern, i, fail);
    } else if (c === '[') {
      i = skipClass(pattern, i, fail);
    } else if (c === '(') {
      const group = groupOpening(pattern, i, fail);
      if (group.opens) openGroups.push(i);
      repeatable = false;
      i += group.length;
    } else if (c === ')') {
      if (openGroups.pop() === undefined) fail('Unmatched ")"', i);
      i++;
    } else {
      if (c === '|') repeatable = false;
      i++;
    }
  }
  const unclosed = openGroups.pop();
  if (unclosed !== undefined) fail('Expected ")" to close the group opened', unclosed);
}

type Fail = (message: string, index: number) => never;

/** Sticky patterns, matched at `lastIndex`. */
const COUNTED = /\{(\d+)(?:,(\d*))?\}/y;
const NAMED_GROUP = /\(\?P<\w+>/y;
const FLAGS_GROUP = /\(\?[imsU]*(?:-[imsU]+)?([:)])/y;

function matchAt(re: RegExp, p: string, i: number): RegExpExecArray | null {
  re.lastIndex = i;
  return re.exec(p);
}

/** `*`, `+`, `?` or a well-formed `{n}`, `{n,}`, `{n,m}` (any other `{` is a literal in RE2). */
function repetitionAt(p: string, i: number): { text: string; count: number } | null {
  const c = p[i]!;
  if (c === '*' || c === '+' || c === '?') return { text: c, count: 0 };
  const m = c === '{' ? matchAt(COUNTED, p, i) : null;
  return m && { text: m[0], count: Math.max(Number(m[1]), Number(m[2] || 0)) };
}

/** Escapes RE2 knows; any other letter after a backslash is an error there. */
const LETTER_ESCAPES = new Set('aftnrvAbBzdDsSwWpPxQEC');

function skipEscape(p: string, i: number, fail: Fail): number {
  const next = p[i + 1];
  if (next === undefined) return fail('Expected a character after "\\"', i);
  if (next >= '1' && next <= '9') return fail('Backreferences (\\1) are not supported', i);
  if (next === 'k') return fail('Named backreferences (\\k) are not supported', i);
  const unknownLetter = /[A-Za-z]/.test(next) && !LETTER_ESCAPES.has(next);
  if (unknownLetter || next > '\x7f') return fail(`Unsupported escape "\\${next}"`, i);
  if (next === 'Q') {
    const end = p.indexOf('\\E', i + 2);
    return end < 0 ? p.length : end + 2;
  }
  // \p{Greek}, \x{41}: skip the braces so their contents are not read as syntax.
  if ((next === 'p' || next === 'P' || next === 'x') && p[i + 2] === '{') {
    const close = p.indexOf('}', i + 3);
    if (close < 0) return fail('Expected "}" to close the escape', i);
    return close + 1;
  }
  return i + 2;
}

/** Skips `[...]`, where `]` first (after an optional `^`) is literal and `[:alpha:]` is a named class. */
function skipClass(p: string, open: number, fail: Fail): number {
  let j = open + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') j++;
  while (j < p.length) {
    const c = p[j]!;
    if (c === ']') return j + 1;
    if (c === '\\') j = skipEscape(p, j, fail);
    else if (p.startsWith('[:', j) && p.indexOf(':]', j + 2) > 0) j = p.indexOf(':]', j + 2) + 2;
    else j++;
  }
  return fail('Expected "]" to close the character class', open);
}

/**
 * Validates a `(` and what follows it: the length of the opening (`(`, `(?:`, `(?i:`, `(?P<name>`),
 * or of a whole flags-only group such as `(?i)`, which opens nothing.
 */
function groupOpening(p: string, i: number, fail: Fail): { length: number; opens: boolean } {
  if (p[i + 1] !== '?') return { length: 1, opens: true };
  const rest = p.slice(i + 2, i + 4);
  if (rest.startsWith('=') || rest.startsWith('!')) return fail('Lookahead is not supported', i);
  if (rest === '<=' || rest === '<!') return fail('Lookbehind is not supported', i);
  if (rest.startsWith('<')) return fail('Named groups are written (?P<name>...)', i);
  if (rest.startsWith('>')) return fail('Atomic groups are not supported', i);
  const named = matchAt(NAMED_GROUP, p, i);
  if (named) return { length: named[0].length, opens: true };
  if (rest.startsWith('P')) return fail('Named backreferences are not supported', i);
  const flags = matchAt(FLAGS_GROUP, p, i);
  if (!flags) return fail('Unsupported group syntax "(?"', i);
  return { length: flags[0].length, opens: flags[1] === ':' };
}
