/**
 * What differs between stores' SQL. The per-filter compilers only ever call these, so adding a
 * store means adding a dialect, not touching the filters. Every argument named `param` is a
 * placeholder (`$3`) produced by `Params.add`, never user text.
 */
export interface SqlDialect {
  /** Column expression for each reserved field. */
  column: Record<ReservedField, string>;
  /** Text of the attribute at `pointer` (a JSON Pointer param), NULL when absent. */
  attrText(pointerParam: string): string;
  /** True when the attribute at `pointer` exists (even as JSON null). */
  attrExists(pointerParam: string): string;
  /** The value as a number, NULL when it is not one (never an error). */
  toNumber(expr: string): string;
  regexMatch(expr: string, patternParam: string): string;
  /** Case-insensitive LIKE with backslash as the escape character. */
  ilike(expr: string, patternParam: string): string;
  like(expr: string, patternParam: string): string;
  /** A µs-since-epoch number param as a timestamp. */
  timestamp(microsParam: string): string;
  /** A decimal-string param as an id. */
  id(param: string): string;
}

export type ReservedField = 'id' | 'timestamp' | 'level' | 'message' | 'resourceId' | 'traceId' | 'spanId' | 'commit';

export const KEYWORD_COLUMNS = ['resourceId', 'traceId', 'spanId', 'commit'] as const;

/** Collects parameter values; `add` returns the placeholder to put in the SQL. */
export class Params {
  constructor(readonly values: unknown[]) {}

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
