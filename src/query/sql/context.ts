import type { SqlDialect } from './dialect.js';

/** What every per-filter compiler works with. */
export interface CompileContext {
  readonly dialect: SqlDialect;
  /**
   * Appends a value to the statement's parameters and returns its placeholder (`$3`, 1-based):
   * the only way anything the user typed, field names included, reaches the SQL.
   */
  param(value: unknown): string;
  /** "now" for relative times (`now-15m`), fixed once per query. */
  readonly nowMs: number;
}

export function createContext(dialect: SqlDialect, params: unknown[], nowMs: number): CompileContext {
  return {
    dialect,
    nowMs,
    param(value) {
      params.push(value);
      return `$${params.length}`;
    },
  };
}

export function anyOf(parts: readonly string[]): string {
  if (parts.length === 0) return 'FALSE';
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

export function allOf(parts: readonly string[]): string {
  if (parts.length === 0) return 'TRUE';
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}
