import { SPAN_HEX, SPAN_TEXT, spanBits, TRACE_HEX, TRACE_TEXT } from '../../store/postgres/schema.js';
import type { ReservedField, SqlDialect } from './dialect.js';

/** Columns of the PostgreSQL `sawmill_logs` table (store/postgres/schema.ts). */
const COLUMNS: Record<ReservedField, string> = {
  id: 'id',
  timestamp: 'ts',
  level: 'level',
  message: 'message',
  resourceId: 'resource_id',
  traceId: `(${TRACE_TEXT})`,
  spanId: `(${SPAN_TEXT})`,
  commit: 'commit_id',
};

/**
 * A number as PostgreSQL's numeric input accepts it, checked before the cast so a value that is
 * not a number is NULL instead of an error (PostgreSQL has no TRY_CAST). The length bound keeps
 * the cast inside numeric's range (a 1 MB string of digits would overflow it); numeric rather
 * than double because jsonb keeps numbers as numeric and `1e400` would overflow a double.
 */
const NUMBER = String.raw`^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,4})?$`;

/**
 * PostgreSQL. Attributes are `jsonb`; a path is bound as a `text[]` (`attrs #>> $3::text[]`), so
 * any key (quotes, dots, braces) reaches the SQL only as a parameter. Regexes run on PostgreSQL's
 * ARE engine, with RE2 syntax rewritten where the two differ (`regexPattern`). Word characters
 * come from the database's ctype: a UTF-8 locale (C.UTF-8, en_US.UTF-8) classes é and я as
 * letters; the store refuses a database whose ctype is plain C (pg-store.ts).
 *
 * Bound parameters cost no index use: node-postgres sends unnamed statements, which PostgreSQL
 * plans with the parameter values known, so `ILIKE '%' || $1 || '%'` folds to a constant pattern
 * that the pg_trgm GIN index serves.
 */
export const postgresDialect: SqlDialect = {
  column: (field) => COLUMNS[field],
  keywordEquals: (field, value, param) => {
    // A W3C-form value lives only in the typed column, any other only in the text column
    // (store/postgres/schema.ts): one indexed place to look either way.
    if (field === 'traceId') {
      return TRACE_HEX.test(value) ? `trace_w3c = ${param(value)}::uuid` : `trace_id = ${param(value)}`;
    }
    if (field === 'spanId') {
      return SPAN_HEX.test(value)
        ? `span_w3c = ${param(spanBits(value))}::bigint`
        : `span_id = ${param(value)}`;
    }
    return `${COLUMNS[field]} = ${param(value)}`;
  },
  columnText: (field) => {
    if (field === 'id') return 'id::text';
    if (field === 'timestamp') return `to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    return COLUMNS[field];
  },
  attrPath: (keys) => [...keys],
  attrText: (path) => `(attrs #>> ${path}::text[])`,
  // `#>` yields the jsonb `null` (not SQL NULL) for a key that holds JSON null.
  attrExists: (path) => `(attrs #> ${path}::text[] IS NOT NULL)`,
  toNumber: (expr) =>
    `(CASE WHEN length(${expr}) < 1000 AND ${expr} ~ '${NUMBER}' THEN (${expr})::numeric END)`,
  // ILIKE, not strpos(lower()): the trigram index serves ILIKE '%…%' (and only a constant pattern).
  containsIgnoringCase: (expr, text) =>
    `(${expr} ILIKE ('%' || replace(replace(replace(${text}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'))`,
  like: (expr, pattern, ignoreCase) => `(${expr} ${ignoreCase ? 'ILIKE' : 'LIKE'} ${pattern} ESCAPE '\\')`,
  regexPattern: (pattern) => re2ToPostgres(pattern),
  regexMatch: (expr, pattern, ignoreCase) => `(${expr} ${ignoreCase ? '~*' : '~'} ${pattern})`,
  regexWordChars: '[:alnum:]_',
  timestamp: (micros) => `(timestamptz 'epoch' + ${micros}::bigint * interval '1 microsecond')`,
  // Record ids go up to 2^64-1 (fields.ts) but the column is a signed bigint: a larger value is
  // clamped instead of failing the cast (no stored id is that large: ids are ms << 20).
  recordId: (param) => `LEAST(${param}::numeric, 9223372036854775807)::bigint`,
};

/** Unicode classes RE2 writes `\pL`, as POSIX classes (which PostgreSQL takes from the locale). */
const PROPERTY_CLASSES: Record<string, string> = {
  L: 'alpha',
  N: 'digit',
  Lu: 'upper',
  Ll: 'lower',
  Nd: 'digit',
  Z: 'space',
  Zs: 'space',
  P: 'punct',
};

/**
 * RE2 syntax in PostgreSQL ARE terms where they differ: `\b`/`\B` (backspace in ARE) become
 * `\y`/`\Y`, `\z` becomes `\Z`, `(?P<name>` a plain group, `\pL`-style classes POSIX classes,
 * `\x{…}` a `\U` escape, and `\Q…\E` escaped literals. Everything else means the same in both.
 */
export function re2ToPostgres(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      const e = pattern[++i]!;
      if (e === 'p' || e === 'P') {
        let name = pattern[i + 1] ?? '';
        let len = 1;
        if (name === '{') {
          const close = pattern.indexOf('}', i + 2);
          name = close < 0 ? '' : pattern.slice(i + 2, close);
          len = close < 0 ? 0 : close - i;
        }
        const cls = PROPERTY_CLASSES[name];
        if (cls !== undefined && len > 0) {
          i += len;
          if (inClass) out += `[:${cls}:]`;
          else out += e === 'p' ? `[[:${cls}:]]` : `[^[:${cls}:]]`;
          continue;
        }
        out += `\\${e}`;
      } else if (e === 'x' && pattern[i + 1] === '{') {
        const close = pattern.indexOf('}', i + 2);
        const hex = close < 0 ? '' : pattern.slice(i + 2, close);
        if (/^[0-9a-fA-F]{1,8}$/.test(hex)) {
          out += `\\U${hex.padStart(8, '0')}`;
          i = close;
        } else out += '\\x';
      } else if (e === 'Q') {
        const end = pattern.indexOf('\\E', i + 1);
        const literal = pattern.slice(i + 1, end < 0 ? undefined : end);
        out += literal.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 1;
      } else if (!inClass && (e === 'b' || e === 'B')) out += e === 'b' ? '\\y' : '\\Y';
      else if (!inClass && e === 'z') out += '\\Z';
      else out += `\\${e}`;
    } else if (inClass) {
      out += c;
      if (c === '[' && pattern[i + 1] === ':') {
        const close = pattern.indexOf(':]', i + 2);
        if (close > 0) {
          out += pattern.slice(i + 1, close + 2);
          i = close + 1;
        }
      } else if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      out += c;
      // A `]` (after an optional `^`) right after the opening bracket is a literal.
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else if (c === '(' && pattern.startsWith('(?P<', i)) {
      const close = pattern.indexOf('>', i);
      out += '(';
      i = close < 0 ? i : close;
    } else out += c;
  }
  return out;
}
