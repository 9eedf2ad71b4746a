/**
 * The query AST: what the parser produces and what every store compiles to its own SQL.
 *
 * Field names are the user's: the reserved fields (`message`, `level`, `timestamp`, `id`,
 * `resourceId`, `traceId`, `spanId`, `commit`) or a dotted path into the record's other fields
 * (`metadata.parentResourceId`, `http.status`). `field: null` means "no field named": a word or
 * phrase in the message, or an exact keyword-field value.
 */
export type QueryNode =
  | { kind: 'all' }
  | { kind: 'and'; children: QueryNode[] }
  | { kind: 'or'; children: QueryNode[] }
  | { kind: 'not'; child: QueryNode }
  /** One word: word match on `message` (case-insensitive), equality on any other field. */
  | { kind: 'term'; field: string | null; value: string }
  /** Quoted text: phrase in `message`, exact value elsewhere. */
  | { kind: 'phrase'; field: string | null; value: string }
  /** `*` and `?` wildcards; `server-12*` is a prefix. `\*`, `\?` and `\\` are those characters literally. */
  | { kind: 'wildcard'; field: string | null; pattern: string }
  /** RE2 syntax (linear time: no catastrophic backtracking in any store), matched unanchored. */
  | { kind: 'regex'; field: string | null; pattern: string; caseInsensitive: boolean }
  /** Bounds are strings as typed; the compiler coerces them per field (timestamps, numbers). */
  | { kind: 'range'; field: string; gt?: string; gte?: string; lt?: string; lte?: string }
  /** `field:*` — the field is present. */
  | { kind: 'exists'; field: string };
