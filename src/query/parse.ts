import type { QueryNode } from './ast.js';

/**
 * Parser for Sawmill's Lucene/KQL-like query language (docs/query-language.md).
 *
 * Hand-written recursive descent rather than `liqe`: liqe rejects the product's own range example
 * `timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]` (unquoted colons inside a range) and
 * reports unbalanced parentheses without a position. Here every error names its 0-based offset.
 *
 *   query   := or?
 *   or      := and (("OR" | "||") and)*
 *   and     := unary (("AND" | "&&")? unary)*          adjacent clauses are ANDed
 *   unary   := ("NOT" | "!") unary | ("-" | "+") unary | primary
 *   primary := "(" or ")" | FIELD ":" value | value
 *   value   := "(" group ")" | range | (">" | ">=" | "<" | "<=") bound | "/regex/" "i"? | "phrase" | term | "*"
 */
export class QuerySyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'QuerySyntaxError';
  }
}

export const MAX_QUERY_LENGTH = 4096;
const MAX_DEPTH = 64;

/** Characters that end a bare term (unless backslash-escaped). */
const TERM_END = new Set([' ', '\t', '\n', '\r', '(', ')', '"', ':']);

export function parseQuery(text: string): QueryNode {
  if (text.length > MAX_QUERY_LENGTH) {
    throw new QuerySyntaxError(`Query is longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  }
  const p = new Parser(text);
  p.skipSpace();
  if (p.atEnd()) return { kind: 'all' };
  const node = p.parseOr(null, 0);
  p.skipSpace();
  if (!p.atEnd()) {
    if (p.peek() === ')') throw new QuerySyntaxError('Unmatched ")"', p.pos);
    throw new QuerySyntaxError(`Unexpected ${JSON.stringify(p.peek())}`, p.pos);
  }
  return node;
}

class Parser {
  pos = 0;

  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  peek(offset = 0): string {
    return this.s[this.pos + offset] ?? '';
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  /** The keyword (AND, OR, NOT) at the cursor, only as a whole word. */
  private keyword(word: string): boolean {
    if (!this.s.startsWith(word, this.pos)) return false;
    const after = this.s[this.pos + word.length];
    return after === undefined || /[\s()]/.test(after);
  }

  parseOr(field: string | null, depth: number): QueryNode {
    this.guardDepth(depth);
    const children = [this.parseAnd(field, depth)];
    for (;;) {
      this.skipSpace();
      if (this.keyword('OR')) this.pos += 2;
      else if (this.s.startsWith('||', this.pos)) this.pos += 2;
      else break;
      this.skipSpace();
      if (this.atEnd() || this.peek() === ')') throw new QuerySyntaxError('Expected a clause after OR', this.pos);
      children.push(this.parseAnd(field, depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private parseAnd(field: string | null, depth: number): QueryNode {
    const children = [this.parseUnary(field, depth)];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.peek() === ')' || this.keyword('OR') || this.s.startsWith('||', this.pos)) break;
      if (this.keyword('AND')) this.pos += 3;
      else if (this.s.startsWith('&&', this.pos)) this.pos += 2;
      this.skipSpace();
      if (this.atEnd() || this.peek() === ')') throw new QuerySyntaxError('Expected a clause after AND', this.pos);
      children.push(this.parseUnary(field, depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private parseUnary(field: string | null, depth: number): QueryNode {
    this.guardDepth(depth);
    this.skipSpace();
    const start = this.pos;
    let negate = false;
    if (this.keyword('NOT')) {
      this.pos += 3;
      negate = true;
    } else if (this.peek() === '!' && this.peek(1) !== '=') {
      this.pos++;
      negate = true;
    } else if (this.peek() === '-' || this.peek() === '+') {
      negate = this.peek() === '-';
      this.pos++;
      if (this.atEnd() || /\s/.test(this.peek())) {
        throw new QuerySyntaxError(`Expected a clause right after "${this.s[start]}"`, this.pos);
      }
      const operand = this.parseUnary(field, depth + 1);
      return negate ? { kind: 'not', child: operand } : operand;
    }
    if (negate) {
      this.skipSpace();
      if (this.atEnd() || this.peek() === ')') throw new QuerySyntaxError('Expected a clause after NOT', this.pos);
      return { kind: 'not', child: this.parseUnary(field, depth + 1) };
    }
    return this.parsePrimary(field, depth);
  }

  private parsePrimary(field: string | null, depth: number): QueryNode {
    const start = this.pos;
    const c = this.peek();
    if (c === '(') {
      this.pos++;
      this.skipSpace();
      if (this.peek() === ')') throw new QuerySyntaxError('Empty parentheses', this.pos);
      const inner = this.parseOr(field, depth + 1);
      this.skipSpace();
      if (this.peek() !== ')') throw new QuerySyntaxError(`Unclosed "(" (opened at position ${start})`, this.pos);
      this.pos++;
      return inner;
    }
    if (c === ')') throw new QuerySyntaxError('Unmatched ")"', this.pos);
    if (c === '"' || c === '/') return this.parseValue(field, depth);
    if (c === '[' || c === '{') {
      if (field === null) {
        throw new QuerySyntaxError('A range needs a field, as in "timestamp:[a TO b]" (quote text with brackets)', this.pos);
      }
      return this.parseValue(field, depth);
    }
    if (c === ':') throw new QuerySyntaxError('Expected a field name before ":"', this.pos);
    // A term, or a field name when a ':' follows it directly.
    const { text, raw } = this.readTerm();
    if (this.peek() === ':' && field === null) {
      this.pos++;
      if (text === '') throw new QuerySyntaxError('Expected a field name before ":"', start);
      if (this.atEnd() || /\s/.test(this.peek()) || this.peek() === ')') {
        throw new QuerySyntaxError(`Expected a value after "${text}:"`, this.pos);
      }
      return this.parseValue(text, depth);
    }
    if (this.peek() === ':') throw new QuerySyntaxError(`A field cannot be nested inside "${field}:(...)"`, this.pos);
    return termNode(field, text, raw);
  }

  /** The right-hand side of `field:` (or a bare phrase/regex with field = null). */
  private parseValue(field: string | null, depth: number): QueryNode {
    const c = this.peek();
    const start = this.pos;
    if (c === '(') {
      this.pos++;
      this.skipSpace();
      if (this.peek() === ')') throw new QuerySyntaxError('Empty parentheses', this.pos);
      const inner = this.parseOr(field, depth + 1);
      this.skipSpace();
      if (this.peek() !== ')') throw new QuerySyntaxError(`Unclosed "(" (opened at position ${start})`, this.pos);
      this.pos++;
      return inner;
    }
    if (c === '"') return { kind: 'phrase', field, value: this.readPhrase() };
    if (c === '/') return this.readRegex(field);
    if (c === '[' || c === '{') return this.readRange(requireField(field, start));
    if (c === '>' || c === '<') return this.readComparison(requireField(field, start));
    const { text, raw } = this.readTerm();
    if (text === '' && raw === '') throw new QuerySyntaxError(`Expected a value after "${field}:"`, start);
    if (raw === '*' && field !== null) return { kind: 'exists', field };
    return termNode(field, text, raw);
  }

  /** A bare term: returns the unescaped text and the raw text (escapes kept, for wildcards). */
  private readTerm(): { text: string; raw: string } {
    let text = '';
    let raw = '';
    while (!this.atEnd()) {
      const ch = this.s[this.pos]!;
      if (ch === '\\') {
        const next = this.s[this.pos + 1];
        if (next === undefined) throw new QuerySyntaxError('Nothing to escape after "\\"', this.pos);
        text += next;
        raw += ch + next;
        this.pos += 2;
        continue;
      }
      if (TERM_END.has(ch)) break;
      text += ch;
      raw += ch;
      this.pos++;
    }
    if (raw === '') throw new QuerySyntaxError(`Unexpected ${JSON.stringify(this.peek() || 'end of query')}`, this.pos);
    return { text, raw };
  }

  private readPhrase(): string {
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    while (!this.atEnd()) {
      const ch = this.s[this.pos]!;
      if (ch === '\\' && this.pos + 1 < this.s.length) {
        out += this.s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (ch === '"') {
        this.pos++;
        if (out.trim() === '') throw new QuerySyntaxError('Empty phrase', start);
        return out;
      }
      out += ch;
      this.pos++;
    }
    throw new QuerySyntaxError('Unterminated phrase: missing closing \'"\'', start);
  }

  private readRegex(field: string | null): QueryNode {
    const start = this.pos;
    this.pos++;
    let pattern = '';
    while (!this.atEnd()) {
      const ch = this.s[this.pos]!;
      if (ch === '\\' && this.s[this.pos + 1] === '/') {
        pattern += '/';
        this.pos += 2;
        continue;
      }
      if (ch === '\\' && this.pos + 1 < this.s.length) {
        pattern += ch + this.s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (ch === '/') {
        this.pos++;
        let caseInsensitive = false;
        if (this.peek() === 'i' && (this.pos + 1 >= this.s.length || /[\s()]/.test(this.peek(1)))) {
          caseInsensitive = true;
          this.pos++;
        }
        if (pattern === '') throw new QuerySyntaxError('Empty regular expression', start);
        checkRegex(pattern, start + 1);
        return { kind: 'regex', field, pattern, caseInsensitive };
      }
      pattern += ch;
      this.pos++;
    }
    throw new QuerySyntaxError('Unterminated regular expression: missing closing "/"', start);
  }

  /** `[a TO b]`, `{a TO b}`, mixed brackets, `*` for an open end. */
  private readRange(field: string): QueryNode {
    const start = this.pos;
    const inclusiveLow = this.peek() === '[';
    this.pos++;
    this.skipSpace();
    const low = this.readBound(start);
    this.skipSpace();
    if (!this.keyword('TO')) throw new QuerySyntaxError('Expected "TO" in range', this.pos);
    this.pos += 2;
    this.skipSpace();
    const high = this.readBound(start);
    this.skipSpace();
    const close = this.peek();
    if (close !== ']' && close !== '}') throw new QuerySyntaxError('Expected "]" or "}" to close the range', this.pos);
    this.pos++;
    const node: Extract<QueryNode, { kind: 'range' }> = { kind: 'range', field };
    if (low !== '*') node[inclusiveLow ? 'gte' : 'gt'] = low;
    if (high !== '*') node[close === ']' ? 'lte' : 'lt'] = high;
    return node;
  }

  private readBound(rangeStart: number): string {
    if (this.peek() === '"') return this.readPhrase();
    let out = '';
    while (!this.atEnd() && !/[\s\]}]/.test(this.peek())) out += this.s[this.pos++];
    if (out === '') {
      throw new QuerySyntaxError(
        this.atEnd() ? `Unterminated range starting at position ${rangeStart}` : 'Expected a range bound',
        this.pos,
      );
    }
    return out;
  }

  private readComparison(field: string): QueryNode {
    const op = this.s.startsWith('>=', this.pos) || this.s.startsWith('<=', this.pos) ? this.s.slice(this.pos, this.pos + 2) : this.peek();
    this.pos += op.length;
    const at = this.pos;
    let bound = '';
    if (this.peek() === '"') bound = this.readPhrase();
    else while (!this.atEnd() && !/[\s()]/.test(this.peek())) bound += this.s[this.pos++];
    if (bound === '') throw new QuerySyntaxError(`Expected a value after "${field}:${op}"`, at);
    const key = ({ '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' } as const)[op as '>' | '>=' | '<' | '<='];
    return { kind: 'range', field, [key]: bound };
  }

  private guardDepth(depth: number): void {
    if (depth > MAX_DEPTH) throw new QuerySyntaxError(`Query nests deeper than ${MAX_DEPTH} levels`, this.pos);
  }
}

function requireField(field: string | null, position: number): string {
  if (field === null) throw new QuerySyntaxError('A range needs a field, as in "timestamp:[a TO b]"', position);
  return field;
}

/** A bare `*` matches everything; unescaped `*` or `?` make a wildcard; otherwise a term. */
function termNode(field: string | null, text: string, raw: string): QueryNode {
  if (raw === '*' && field === null) return { kind: 'all' };
  if (/(^|[^\\])[*?]/.test(raw)) return { kind: 'wildcard', field, pattern: raw };
  return { kind: 'term', field, value: text };
}

/**
 * Both stores run RE2-class engines (linear time): constructs they cannot run are refused here
 * with a position instead of failing later inside the database.
 */
function checkRegex(pattern: string, offset: number): void {
  const backref = /\\[1-9]/.exec(pattern);
  if (backref) throw new QuerySyntaxError('Backreferences are not supported in regular expressions', offset + backref.index);
  const look = /\(\?<?[=!]/.exec(pattern);
  if (look) throw new QuerySyntaxError('Lookaround is not supported in regular expressions', offset + look.index);
  try {
    new RegExp(pattern);
  } catch (err) {
    throw new QuerySyntaxError(`Invalid regular expression: ${(err as Error).message}`, offset);
  }
}
