import type { ReservedField, SqlDialect } from './dialect.js';

/** Columns of the DuckDB `logs` tables (store/duckdb/schema.ts). */
const COLUMNS: Record<ReservedField, string> = {
  id: 'id',
  timestamp: 'ts',
  level: 'level',
  message: 'message',
  resourceId: 'resource_id',
  traceId: 'trace_id',
  spanId: 'span_id',
  commit: 'commit_id',
};

/**
 * DuckDB. Attribute paths are JSON Pointers (RFC 6901), whose only escapes are `~0` and `~1`:
 * keys with quotes, dots, brackets or `$` need none, unlike `$."…"` paths. DuckDB folds bound
 * parameters like literals, so a parameterised path, regex or pattern costs no speed.
 */
export const duckdbDialect: SqlDialect = {
  column: (field) => COLUMNS[field],
  columnText: (field) => {
    if (field === 'id') return 'CAST(id AS VARCHAR)';
    if (field === 'timestamp') return "strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ')";
    return COLUMNS[field];
  },
  attrPath: (keys) => keys.map((k) => `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`).join(''),
  attrText: (path) => `json_extract_string(attrs, ${path})`,
  attrExists: (path) => `json_exists(attrs, ${path})`,
  toNumber: (expr) => `TRY_CAST(${expr} AS DOUBLE)`,
  // contains(lower()) measured 2x faster than ILIKE '%…%' ESCAPE on DuckDB 1.5.
  containsIgnoringCase: (expr, text) => `contains(lower(${expr}), lower(${text}))`,
  like: (expr, pattern, ignoreCase) => `(${expr} ${ignoreCase ? 'ILIKE' : 'LIKE'} ${pattern} ESCAPE '\\')`,
  regexMatch: (expr, pattern, ignoreCase) =>
    ignoreCase ? `regexp_matches(${expr}, ${pattern}, 'i')` : `regexp_matches(${expr}, ${pattern})`,
  regexWordChars: '\\pL\\pM\\pN_',
  timestamp: (micros) => `make_timestamp(${micros}::BIGINT)`,
  recordId: (param) => `${param}::UBIGINT`,
};
