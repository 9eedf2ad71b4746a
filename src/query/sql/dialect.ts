import type { KeywordField, TOP_LEVEL_FIELDS } from '../../model/record.js';

/** A record field with a column of its own (everything else is in the `attrs` JSON). */
export type ReservedField = (typeof TOP_LEVEL_FIELDS)[number];

/**
 * What differs between stores' SQL. The per-filter compilers build only from these, so a new
 * store (PostgreSQL) is a new dialect and no filter changes. Arguments named `…Param` are
 * placeholders such as `$3` (see CompileContext.param), never user text; every expression a
 * dialect returns must be safe to wrap in AND/OR/NOT without further parentheses.
 */
export interface SqlDialect {
  /** The column of a reserved field, in its own type (keyword fields as text). */
  column(field: ReservedField): string;
  /**
   * Exact equality of a keyword field with `value`: the store may keep some forms of a value in
   * a faster column than `column(field)` reads. `param` binds a value, as CompileContext.param.
   */
  keywordEquals(field: KeywordField, value: string, param: (value: unknown) => string): string;
  /** The column as text, for wildcard and regex matching on `id` and `timestamp`. */
  columnText(field: ReservedField): string;
  /** The value to bind for the attribute at `keys` (outermost key first); any key is allowed. */
  attrPath(keys: readonly string[]): unknown;
  /** The attribute at `pathParam` as text (JSON strings unquoted, numbers and booleans as written), NULL when absent. */
  attrText(pathParam: string): string;
  /** True when the attribute at `pathParam` exists, even as JSON null. */
  attrExists(pathParam: string): string;
  /**
   * The column the store keeps this attribute path's string values in, if any. Values that
   * are not strings, and records stored before the column existed, are still in the attributes,
   * so a compiler reads the column first and the attribute where the column is empty.
   */
  attrColumn?(keys: readonly string[]): string | undefined;
  /** `expr` as a double, NULL (never an error) when it is not a number. */
  toNumber(expr: string): string;
  /** Case-insensitive substring test: the cheap pre-filter in front of a word regex. */
  containsIgnoringCase(expr: string, textParam: string): string;
  /** Whole-value LIKE, backslash escaping `%`, `_` and itself. */
  like(expr: string, patternParam: string, ignoreCase: boolean): string;
  /**
   * A user's regex (RE2 syntax, as checked by the parser) rewritten for the store's engine before
   * it is bound; absent when the engine takes RE2 syntax as it is.
   */
  regexPattern?(pattern: string): string;
  /** Unanchored regex match with the store's engine (RE2 syntax as checked by the parser). */
  regexMatch(expr: string, patternParam: string, ignoreCase: boolean): string;
  /** The body of a regex bracket expression matching one word character (letters, marks, digits, `_`). */
  readonly regexWordChars: string;
  /** A timestamp from a param holding µs since the epoch. */
  timestamp(microsParam: string): string;
  /** A record id from a param holding it in decimal. */
  recordId(param: string): string;
}
