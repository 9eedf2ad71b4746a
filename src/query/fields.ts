import { KEYWORD_FIELDS, type KeywordField } from '../model/record.js';

/**
 * What a field name in a query refers to, independent of any store: one of the record's own
 * fields, or a path into its other fields. A dotted name `a.b.c` is both the nested path
 * a → b → c and the literal key "a.b.c", since OTLP attributes arrive flattened with dots in
 * their keys; a store matches either.
 */
export type FieldTarget =
  | { kind: 'message' | 'level' | 'timestamp' | 'id' }
  | { kind: 'keyword'; field: KeywordField }
  | { kind: 'attr'; paths: string[][] };

export function resolveField(name: string): FieldTarget {
  if (name === 'message' || name === 'level' || name === 'timestamp' || name === 'id') return { kind: name };
  if (isKeywordField(name)) return { kind: 'keyword', field: name };
  const keys = name.split('.');
  return { kind: 'attr', paths: keys.length > 1 ? [keys, [name]] : [keys] };
}

function isKeywordField(name: string): name is KeywordField {
  return (KEYWORD_FIELDS as readonly string[]).includes(name);
}

const MAX_ID = 2n ** 64n - 1n;

/** Record ids are unsigned 64-bit integers, written in decimal. */
export function isRecordId(value: string): boolean {
  return /^\d{1,20}$/.test(value) && BigInt(value) <= MAX_ID;
}

/** A value typed as a number (`500`, `-1.5`, `2e3`): compared numerically with numeric fields. */
export function numericValue(value: string): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
