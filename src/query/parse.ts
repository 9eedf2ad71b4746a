/**
 * Parser for Sawmill's Lucene/KQL-like query language (docs/query-language.md) → `QueryNode`.
 *
 * Hand-written recursive descent rather than `liqe` (evaluated at 3.8.7): liqe rejects the
 * product's own range example `timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]`
 * (unquoted colons in a bound), open ends `[* TO 5]`, `field:(a OR b)`, `&&`, `!`, `+term` and
 * escaped colons, accepts `level:` with an empty value, and reports unbalanced parentheses or
 * quotes as "Found no parsings." with no position. Here every error names its 0-based offset.
 *
 *   query   := or | ""                                 (empty and `*` match everything)
 *   or      := and (("OR" | "||") and)*
 *   and     := unary (("AND" | "&&")? unary)*          adjacent clauses are ANDed
 *   unary   := ("NOT" | "!") unary | ("-" | "+") unary | primary
 *   primary := "(" or ")" | WORD ":" value | "phrase" | /regex/i? | WORD
 *   value   := "(" or ")" | "[" bound "TO" bound "]" | (">" | ">=" | "<" | "<=") bound
 *            | "phrase" | /regex/i? | "*" | WORD              (inside `field:(…)` every clause is a value)
 */
import type { QueryNode } from './ast.js';
import { isRecordId } from './fields.js';
import { checkRe2Pattern } from './re2-check.js';
import { QuerySyntaxError } from './syntax-error.js';
import { parseTimeExpr } from './time.js';

export { QuerySyntaxError } from './syntax-error.js';

export const MAX_QUERY_LENGTH = 4096;
export const MAX_QUERY_DEPTH = 64;

export function parseQuery(text: string): QueryNode {
  if (text.length > MAX_QUERY_LENGTH) {
    throw new QuerySyntaxError(`Query is longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  }
  return new Parser(text).parse();
}

type RangeNode = Extract<QueryNode, { kind: 'range' }>;
type Bound = 'gt' | 'gte' | 'lt' | 'lte';

/** A bare word as read: `text` unescaped; `pattern` keeps only `\*`, `\?`, `\\` escaped (for wildcards). */
interface Word {
  text: string;
  pattern: string;
  wild: boolean;
  start: number;
}

const SPACE = /\s/;
/** Characters that end a bare word unless backslash-escaped. */
const WORD_END = /[\s()":]/;
/** Sticky: the run of letters at `lastIndex` (regex flags). */
const LETTERS = /[A-Za-z]*/y;

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parse(): QueryNode {
    this.skipSpace();
    if (this.atEnd()) return { kind: 'all' };
    const node = this.orExpr(null, 0);
    this.skipSpace();
    if (!this.atEnd()) throw this.error('Unmatched ")"'); // the only thing that stops a clause list
    return node;
  }

  // ── boolean structure ──────────────────────────────────────────────────────────────────────

  private orExpr(scope: string | null, depth: number): QueryNode {
    const children = [this.andExpr(scope, depth)];
    for (;;) {
      this.skipSpace();
      const op = this.orOperator();
      if (!op) break;
      this.pos += op.length;
      this.expectClauseAfter(op);
      children.push(this.andExpr(scope, depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private andExpr(scope: string | null, depth: number): QueryNode {
    const children = [this.unary(scope, depth)];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.peek() === ')' || this.orOperator()) break;
      const op = this.andOperator();
      if (op) {
        this.pos += op.length;
        this.expectClauseAfter(op);
      }
      children.push(this.unary(scope, depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private unary(scope: string | null, depth: number): QueryNode {
    this.skipSpace();
    const start = this.pos;
    const not = this.keyword('NOT') ? 'NOT' : this.peek() === '!' ? '!' : null;
    if (not) {
      this.checkDepth(depth + 1);
      this.pos += not.length;
      this.expectClauseAfter(not);
      return { kind: 'not', child: this.unary(scope, depth + 1) };
    }
    const sign = this.peek();
    if (sign === '-' || sign === '+') {
      this.checkDepth(depth + 1);
      this.pos++;
      if (this.atEnd() || SPACE.test(this.peek()) || this.peek() === ')') {
        throw this.error(`Expected a clause right after "${sign}"`);
      }
      const child = this.unary(scope, depth + 1);
      return sign === '-' ? { kind: 'not', child } : child;
    }
    const node = scope === null ? this.primary(depth) : this.value(scope, depth);
    this.expectEndOfClause(start);
    return node;
  }

  private primary(depth: number): QueryNode {
    const c = this.peek();
    const op = this.andOperator() ?? this.orOperator();
    if (op) throw this.error(`Expected a clause before "${op}"`);
    if (c === '(') return this.group(null, depth);
    if (c === ')') throw this.error('Unmatched ")"');
    if (c === '"') return { kind: 'phrase', field: null, value: this.quoted('phrase') };
    if (c === '/') return this.regex(null);
    if (c === '[' || c === '{') {
      throw this.error('A range needs a field, as in timestamp:[now-1h TO now]; quote text with brackets');
    }
    if (c === '>' || c === '<') {
      throw this.error('A comparison needs a field, as in http.status:>=500; quote text with "<" or ">"');
    }
    if (c === ':') throw this.error('Expected a field name before ":"');
    const word = this.word();
    if (this.peek() !== ':') return wordNode(null, word);
    if (word.wild) {
      throw this.error(
        'Field names cannot contain wildcards; escape "*" and "?" as "\\*" and "\\?"',
        word.start,
      );
    }
    this.pos++;
    return this.value(word.text, depth);
  }

  /** The right-hand side of `field:`, or one clause inside `field:( … )`. */
  private value(field: string, depth: number): QueryNode {
    this.skipSpace(); // `level: error` (KQL style) reads like `level:error`
    const c = this.peek();
    if (
      this.atEnd() ||
      c === ')' ||
      c === ':' ||
      this.andOperator() ||
      this.orOperator() ||
      this.keyword('NOT')
    ) {
      throw this.error(`Expected a value after "${field}:"`);
    }
    if (c === '(') return this.group(field, depth);
    if (c === '"') {
      const start = this.pos;
      const value = this.quoted('phrase');
      checkFieldValue(field, value, start);
      return { kind: 'phrase', field, value };
    }
    if (c === '/') return this.regex(field);
    if (c === '[' || c === '{') return this.range(field);
    if (c === '>' || c === '<') return this.comparison(field);
    const word = this.word();
    if (this.peek() === ':') {
      throw this.error('Unexpected ":" in a value; escape it as "\\:" or quote the value');
    }
    if (word.pattern === '*') return { kind: 'exists', field };
    if (!word.wild) checkFieldValue(field, word.text, word.start);
    return wordNode(field, word);
  }

  private group(scope: string | null, depth: number): QueryNode {
    const open = this.pos;
    this.checkDepth(depth + 1);
    this.pos++;
    this.skipSpace();
    if (this.peek() === ')') throw this.error('Expected a clause inside the parentheses');
    const inner = this.orExpr(scope, depth + 1);
    this.skipSpace();
    if (this.peek() !== ')') throw this.error('Expected ")" to close the "(" opened', open);
    this.pos++;
    return inner;
  }

  // ── values ─────────────────────────────────────────────────────────────────────────────────

  private word(): Word {
    const start = this.pos;
    let text = '';
    let pattern = '';
    let wild = false;
    while (!this.atEnd()) {
      const c = this.peek();
      if (c === '\\') {
        const next = this.src[this.pos + 1];
        if (next === undefined) throw this.error('Expected a character after "\\"');
        text += next;
        pattern += next === '*' || next === '?' || next === '\\' ? `\\${next}` : next;
        this.pos += 2;
        continue;
      }
      if (WORD_END.test(c)) break;
      if (c === '*' || c === '?') wild = true;
      text += c;
      pattern += c;
      this.pos++;
    }
    if (this.pos === start) throw this.error(`Unexpected "${this.peek()}"`);
    return { text, pattern, wild, start };
  }

  /** A double-quoted string; backslash escapes the next character. */
  private quoted(what: 'phrase' | 'bound'): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    while (!this.atEnd()) {
      const c = this.peek();
      if (c === '"') {
        this.pos++;
        if (what === 'phrase' && out.trim() === '') throw this.error('Expected text inside the quotes', open);
        return out;
      }
      if (c === '\\' && this.pos + 1 < this.src.length) this.pos++;
      out += this.peek();
      this.pos++;
    }
    throw this.error(`Expected a closing '"' for the ${what} opened`, open);
  }

  /** `/pattern/` with an optional `i` flag. `\/` stays in the pattern: RE2 reads it as "/". */
  private regex(field: string | null): QueryNode {
    const open = this.pos;
    let i = open + 1;
    while (i < this.src.length && this.src[i] !== '/') i += this.src[i] === '\\' ? 2 : 1;
    if (i >= this.src.length) {
      throw this.error('Expected a closing "/" for the regular expression opened', open);
    }
    const pattern = this.src.slice(open + 1, i);
    if (pattern === '') throw this.error('Expected a pattern between the slashes', open);
    this.pos = i + 1;
    LETTERS.lastIndex = this.pos;
    const flags = LETTERS.exec(this.src)![0];
    if (flags !== '' && flags !== 'i') {
      throw this.error(`Unexpected "${flags}" after the regular expression: only the "i" flag may follow it`);
    }
    this.pos += flags.length;
    checkRe2Pattern(pattern, open + 1);
    return { kind: 'regex', field, pattern, caseInsensitive: flags === 'i' };
  }

  /** `[a TO b]` inclusive, `{a TO b}` exclusive, mixed brackets, `*` for an open end. */
  private range(field: string): QueryNode {
    const open = this.pos;
    const lowInclusive = this.peek() === '[';
    this.pos++;
    this.skipSpace();
    const low = this.bound(field, /[\s\]}]/, `"${field}:${lowInclusive ? '[' : '{'}"`);
    this.skipSpace();
    if (!this.keyword('TO')) throw this.error('Expected "TO" between the range bounds');
    this.pos += 2;
    this.skipSpace();
    const high = this.bound(field, /[\s\]}]/, '"TO"');
    this.skipSpace();
    const close = this.peek();
    if (close !== ']' && close !== '}') {
      throw this.error('Expected "]" or "}" to close the range opened', open);
    }
    this.pos++;
    if (low === null && high === null) return { kind: 'exists', field };
    const node: RangeNode = { kind: 'range', field };
    if (low !== null) node[lowInclusive ? 'gte' : 'gt'] = low;
    if (high !== null) node[close === ']' ? 'lte' : 'lt'] = high;
    return node;
  }

  private comparison(field: string): QueryNode {
    const op = this.src.startsWith('=', this.pos + 1) ? this.src.slice(this.pos, this.pos + 2) : this.peek();
    this.pos += op.length;
    this.skipSpace();
    const bound = this.bound(field, /[\s)]/, `"${field}:${op}"`);
    if (bound === null) throw this.error(`Expected a value after "${field}:${op}", not "*"`, this.pos - 1);
    const key: Bound = op === '>' ? 'gt' : op === '>=' ? 'gte' : op === '<' ? 'lt' : 'lte';
    return { kind: 'range', field, [key]: bound };
  }

  /** A range or comparison bound, quoted or bare (ending at `stop`); null for an unquoted `*`. */
  private bound(field: string, stop: RegExp, after: string): string | null {
    const start = this.pos;
    let value: string;
    if (this.peek() === '"') {
      value = this.quoted('bound');
    } else {
      value = '';
      while (!this.atEnd() && !stop.test(this.peek())) {
        if (this.peek() === '\\' && this.pos + 1 < this.src.length) this.pos++;
        value += this.src[this.pos++];
      }
      if (value === '') throw this.error(`Expected a value after ${after}`);
      if (value === '*' && this.src[start] === '*') return null;
    }
    checkFieldValue(field, value, start);
    return value;
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private peek(): string {
    return this.src[this.pos] ?? '';
  }

  private skipSpace(): void {
    while (!this.atEnd() && SPACE.test(this.peek())) this.pos++;
  }

  /** An upper-case keyword at the cursor, as a whole word. */
  private keyword(word: 'AND' | 'OR' | 'NOT' | 'TO'): boolean {
    if (!this.src.startsWith(word, this.pos)) return false;
    const after = this.src[this.pos + word.length];
    return after === undefined || /[\s()"\]}]/.test(after);
  }

  private andOperator(): 'AND' | '&&' | null {
    return this.keyword('AND') ? 'AND' : this.src.startsWith('&&', this.pos) ? '&&' : null;
  }

  private orOperator(): 'OR' | '||' | null {
    return this.keyword('OR') ? 'OR' : this.src.startsWith('||', this.pos) ? '||' : null;
  }

  private expectClauseAfter(op: string): void {
    this.skipSpace();
    if (this.atEnd() || this.peek() === ')' || this.andOperator() || this.orOperator()) {
      throw this.error(`Expected a clause after "${op}"`);
    }
  }

  /** Clauses are separated by whitespace or an operator: `a"b"` or `(a)b` are mistakes, not ANDs. */
  private expectEndOfClause(start: number): void {
    if (this.atEnd() || this.peek() === ')' || SPACE.test(this.peek())) return;
    const clause = this.src.slice(start, this.pos);
    const next = this.peek() === '"' ? `'"'` : `"${this.peek()}"`;
    throw this.error(`Expected a space or an operator after "${clause}", not ${next}`);
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_QUERY_DEPTH) throw this.error(`Query nests deeper than ${MAX_QUERY_DEPTH} levels`);
  }

  private error(reason: string, position = this.pos): QuerySyntaxError {
    return new QuerySyntaxError(reason, position);
  }
}

/** A bare word: `*` alone matches everything, unescaped `*`/`?` make a wildcard, else a term. */
function wordNode(field: string | null, word: Word): QueryNode {
  if (field === null && word.pattern === '*') return { kind: 'all' };
  if (word.wild) return { kind: 'wildcard', field, pattern: word.pattern };
  return { kind: 'term', field, value: word.text };
}

/** `timestamp` and `id` values must be times and ids: report a typo where it is, not as an empty result. */
function checkFieldValue(field: string, value: string, position: number): void {
  if (field === 'timestamp') {
    try {
      parseTimeExpr(value, 0);
    } catch {
      throw new QuerySyntaxError(
        `Expected a time such as 2023-09-15T08:00:00Z, an epoch number or now-15m for "timestamp", not ${JSON.stringify(value)}`,
        position,
      );
    }
  } else if (field === 'id' && !isRecordId(value)) {
    throw new QuerySyntaxError(
      `Expected a record id (an unsigned integer) for "id", not ${JSON.stringify(value)}`,
      position,
    );
  }
}
