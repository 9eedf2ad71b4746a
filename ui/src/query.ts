/**
 * Editing query-language text (docs/query-language.md) from the UI: quoting values, adding
 * "filter for / filter out" clauses, composing the per-field filter inputs with the query bar, and
 * mapping a server error position back to whichever part of the composed query it points into.
 */

/** Characters that end a bare word or have a meaning at a value's start. */
const NEEDS_QUOTES = /[\s()":\\*?]|^[-+!/[{<>]|^(AND|OR|NOT|TO)$|^$/;

/** A value as the parser reads it literally: bare when that is unambiguous, quoted otherwise. */
export function quoteValue(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value;
}

/** A value typed into a filter input: `*` and `?` stay wildcards, everything else is literal. */
export function patternValue(value: string): string {
  if (!/[*?]/.test(value)) return quoteValue(value);
  return value.replace(/[\s()":\\]|^[-+!/[{<>]/g, (c) => `\\${c}`);
}

/** A range bound: bare when it is a plain time or number (`2023-09-10T00:00:00Z`, `now-1h/d`). */
export function boundValue(value: string): string {
  return /^[\w:.+\-/]+$/.test(value) && value !== 'TO' ? value : quoteValue(value);
}

/** Field names are bare words: escape what would end one. */
export function fieldName(name: string): string {
  return name.replace(/[\s()":\\]/g, (c) => `\\${c}`);
}

/**
 * `field:value` for a value seen in a record; numbers and booleans stay bare so they compare as
 * such. Null for an empty string: the language has no way to say "equals the empty string".
 */
export function clauseFor(field: string, value: unknown): string | null {
  if (value === '') return null;
  if (value === null || value === undefined) return `${fieldName(field)}:*`;
  const text =
    typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : typeof value === 'string'
        ? quoteValue(value)
        : quoteValue(JSON.stringify(value)); // arrays/objects compare as their JSON text
  return `${fieldName(field)}:${text}`;
}

/** True when `q` has an OR outside parentheses and quotes: ANDing onto it then needs parentheses. */
function hasTopLevelOr(q: string): boolean {
  let depth = 0;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (c === '\\') i++;
    else if (c === '"') {
      for (i++; i < q.length && q[i] !== '"'; i++) if (q[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /\s/.test(c ?? '') && /^\s*(OR|\|\|)\s/.test(q.slice(i))) return true;
  }
  return false;
}

const wrap = (q: string) => (hasTopLevelOr(q) ? `(${q})` : q);

/** The query with one more required (`for`) or excluded (`out`) clause. */
export function addClause(q: string, clause: string, mode: 'for' | 'out'): string {
  const c = mode === 'out' ? `-${clause}` : clause;
  const trimmed = q.trim();
  if (trimmed === '' || trimmed === '*') return c;
  if (trimmed.split(/\s+/).includes(c)) return trimmed; // already there
  return `${wrap(trimmed)} AND ${c}`;
}

// ── field filters ────────────────────────────────────────────────────────────────────────────

export interface FilterDef {
  key: string;
  label: string;
  placeholder: string;
  /** The clause for a non-empty input. */
  clause(value: string): string;
}

const keyword = (field: string, label: string, placeholder: string): FilterDef => ({
  key: field,
  label,
  placeholder,
  clause: (v) => `${fieldName(field)}:${patternValue(v)}`,
});

export const FILTERS: FilterDef[] = [
  { key: 'level', label: 'Level', placeholder: 'any', clause: (v) => `level:${v}` },
  {
    key: 'message',
    label: 'Message',
    placeholder: 'words or a phrase',
    // Several words are meant as a phrase ("Failed to connect"), one word as a word.
    clause: (v) =>
      /\s/.test(v.trim()) ? `message:${quoteValue(v.trim())}` : `message:${patternValue(v.trim())}`,
  },
  keyword('resourceId', 'Resource', 'server-1234 or server-12*'),
  {
    key: 'timestampFrom',
    label: 'From',
    placeholder: '2023-09-10T00:00:00Z',
    clause: (v) => `timestamp:>=${boundValue(v.trim())}`,
  },
  {
    key: 'timestampTo',
    label: 'To',
    placeholder: '2023-09-15T23:59:59Z',
    clause: (v) => `timestamp:<=${boundValue(v.trim())}`,
  },
  keyword('traceId', 'Trace', 'abc-xyz-123'),
  keyword('spanId', 'Span', 'span-456'),
  keyword('commit', 'Commit', '5e5342f'),
  keyword('metadata.parentResourceId', 'Parent resource', 'server-0987'),
];

export interface ComposedQuery {
  text: string;
  /** Where each source's text starts in `text`: the query bar is `q`, filters by key. */
  parts: Array<{ source: string; start: number; length: number }>;
}

/**
 * The query the API runs: each filled filter as a clause, ANDed with the query bar's text. The two
 * timestamp inputs become one range so the sample `timestamp:[… TO …]` reads the same either way.
 */
export function composeQuery(q: string, filters: Record<string, string>): ComposedQuery {
  const pieces: Array<{ source: string; text: string }> = [];
  const from = filters.timestampFrom?.trim();
  const to = filters.timestampTo?.trim();
  for (const def of FILTERS) {
    const v = filters[def.key]?.trim();
    if (!v || def.key === 'timestampTo') continue;
    if (def.key === 'timestampFrom' && to) {
      pieces.push({ source: def.key, text: `timestamp:[${boundValue(v)} TO ${boundValue(to)}]` });
    } else pieces.push({ source: def.key, text: def.clause(v) });
  }
  if (to && !from)
    pieces.push({ source: 'timestampTo', text: FILTERS.find((f) => f.key === 'timestampTo')!.clause(to) });
  const trimmed = q.trim();
  if (trimmed) pieces.push({ source: 'q', text: wrap(trimmed) });
  const parts: ComposedQuery['parts'] = [];
  let text = '';
  for (const p of pieces) {
    if (text) text += ' AND ';
    const lead = p.source === 'q' && p.text !== trimmed ? 1 : 0; // the "(" added around the bar's text
    parts.push({ source: p.source, start: text.length + lead, length: p.text.length - 2 * lead });
    text += p.text;
  }
  return { text, parts };
}

/** Which input an error at `position` of the composed query belongs to, and where in it. */
export function locateError(c: ComposedQuery, position: number): { source: string; position: number } {
  for (const p of c.parts) {
    if (position >= p.start && position <= p.start + p.length) {
      return { source: p.source, position: position - p.start };
    }
  }
  const last = c.parts[c.parts.length - 1];
  return { source: last?.source ?? 'q', position: Math.max(0, position - (last?.start ?? 0)) };
}

// ── autocomplete ─────────────────────────────────────────────────────────────────────────────

export interface Token {
  start: number;
  end: number;
  /** The field being given a value (`level:er|`), or null while a field name is typed. */
  field: string | null;
  /** What is typed so far: the name, or the value without an opening quote. */
  prefix: string;
  /** A leading `-`, `+` or `!` that must stay in front of the replacement. */
  sign: string;
}

/** The clause under the caret, for suggestions. Quoted values are followed into their quotes. */
export function tokenAt(q: string, caret: number): Token {
  let start = caret;
  let inQuote = false;
  for (let i = 0; i < caret; i++) if (q[i] === '"' && q[i - 1] !== '\\') inQuote = !inQuote;
  while (start > 0) {
    const c = q[start - 1]!;
    if (c === '"' && q[start - 2] !== '\\') inQuote = !inQuote;
    else if (!inQuote && /[\s()]/.test(c)) break;
    start--;
  }
  let end = caret;
  while (end < q.length && !/[\s()]/.test(q[end]!)) end++;
  let text = q.slice(start, caret);
  let sign = '';
  if (/^[-+!]/.test(text)) {
    sign = text[0]!;
    text = text.slice(1);
  }
  const colon = text.search(/(?<!\\):/);
  if (colon < 0) return { start, end, field: null, prefix: text, sign };
  return {
    start,
    end,
    field: text.slice(0, colon).replace(/\\(.)/g, '$1'),
    prefix: text.slice(colon + 1).replace(/^"/, ''),
    sign,
  };
}

// ── highlighting ─────────────────────────────────────────────────────────────────────────────

const WORD_CHAR = '[\\p{L}\\p{N}_]';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A query-language word or wildcard as a JS regex source matching it in a message. */
function wordSource(word: string): string {
  const parts = word.split(/(\\.|[*?])/).filter(Boolean);
  return parts
    .map((p) => (p === '*' ? `${WORD_CHAR}*` : p === '?' ? WORD_CHAR : escapeRegExp(p.replace(/^\\/, ''))))
    .join('');
}

/**
 * One case-insensitive regex for what the query looks for in messages: bare and `message:` words,
 * phrases, wildcards and regexes, but not negated clauses. Null when there is nothing to mark.
 * Only used to split text into marked and plain text nodes, never to build HTML.
 */
export function highlightPattern(q: string): RegExp | null {
  const sources: string[] = [];
  const negatedDepth: boolean[] = [false];
  let negateNext = false;
  let i = 0;
  const negated = () => negateNext || negatedDepth[negatedDepth.length - 1] === true;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' || c === '!') {
      negateNext = true;
      i++;
      continue;
    }
    if (c === '(') {
      negatedDepth.push(negated());
      negateNext = false;
      i++;
      continue;
    }
    if (c === ')') {
      if (negatedDepth.length > 1) negatedDepth.pop();
      i++;
      continue;
    }
    let field: string | null = null;
    const fieldMatch = /^((?:[^\s()":\\]|\\.)+):\s*/.exec(q.slice(i));
    if (fieldMatch) {
      field = fieldMatch[1]!;
      i += fieldMatch[0].length;
      if (q[i] === '(') {
        // field:(a OR b) — only message groups are text to mark; skip others whole.
        if (field !== 'message') {
          let depth = 0;
          do {
            if (q[i] === '(') depth++;
            else if (q[i] === ')') depth--;
            i++;
          } while (i < q.length && depth > 0);
          negateNext = false;
        }
        continue;
      }
    }
    const skip = negated() || (field !== null && field !== 'message');
    negateNext = false;
    const rest = q.slice(i);
    const phrase = /^"((?:[^"\\]|\\.)*)"?/.exec(rest);
    const regex = phrase ? null : /^\/((?:[^/\\]|\\.)*)\/(i?)/.exec(rest);
    const word = phrase || regex ? null : /^(?:[^\s()"\\]|\\.)+/.exec(rest);
    if (phrase) {
      i += phrase[0].length;
      const words = phrase[1]!.replace(/\\(.)/g, '$1').trim().split(/\s+/).filter(Boolean);
      if (!skip && words.length) sources.push(words.map(escapeRegExp).join('\\s+'));
    } else if (regex) {
      i += regex[0].length;
      if (!skip) {
        const src = regex[1]!.replace(/\(\?P</g, '(?<'); // RE2's named groups
        try {
          new RegExp(src, 'u');
          sources.push(`(?:${src})`);
        } catch {
          // RE2 syntax JavaScript lacks: nothing to mark rather than a wrong mark.
        }
      }
    } else if (word) {
      i += word[0].length;
      const w = word[0];
      if (w === 'NOT') {
        negateNext = true; // `NOT x` is `-x`
        continue;
      }
      if (skip || /^(AND|OR|NOT|TO|&&|\|\|)$/.test(w) || w === '*' || /^[[{<>]/.test(w)) continue;
      const src = wordSource(w);
      if (src) sources.push(`(?<!${WORD_CHAR})${src}(?!${WORD_CHAR})`);
    } else i++;
  }
  if (sources.length === 0) return null;
  try {
    return new RegExp(sources.join('|'), 'giu');
  } catch {
    return null;
  }
}

export interface Segment {
  text: string;
  hit: boolean;
}

/** `text` cut into plain and matching pieces, in order; concatenated they are `text` again. */
export function splitMatches(text: string, pattern: RegExp | null): Segment[] {
  if (!pattern || text === '') return [{ text, hit: false }];
  const out: Segment[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (const m of text.matchAll(pattern)) {
    if (m[0] === '') continue; // a regex that can match nothing would mark nothing
    const at = m.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at), hit: false });
    out.push({ text: m[0], hit: true });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), hit: false });
  return out;
}
