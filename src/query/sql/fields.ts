import type { ReservedField } from './dialect.js';

const RESERVED = new Set<string>(['id', 'timestamp', 'level', 'message', 'resourceId', 'traceId', 'spanId', 'commit']);

export type FieldRef = { kind: 'reserved'; name: ReservedField } | { kind: 'attr'; pointers: string[] };

/**
 * A user field name → a reserved column, or JSON Pointers into the other fields. A dotted name
 * `a.b.c` means the nested path a → b → c or a literal key "a.b.c" (OTLP attributes arrive with
 * dots in their keys), so both pointers are tried.
 */
export function resolveField(name: string): FieldRef {
  if (RESERVED.has(name)) return { kind: 'reserved', name: name as ReservedField };
  if (name === '@timestamp') return { kind: 'reserved', name: 'timestamp' };
  const parts = name.split('.');
  const pointers = [`/${parts.map(escapePointer).join('/')}`];
  if (parts.length > 1) pointers.push(`/${escapePointer(name)}`);
  return { kind: 'attr', pointers };
}

/** RFC 6901: "~" → "~0", "/" → "~1". */
function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
