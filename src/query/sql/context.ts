import { QuerySyntaxError } from '../parse.js';
import type { Params, SqlDialect } from './dialect.js';
import { type FieldRef, resolveField } from './fields.js';

/** What each filter compiler gets: the dialect and the parameter list it appends to. */
export interface CompileContext {
  d: SqlDialect;
  p: Params;
}

export const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** OR of `build` over each JSON Pointer an attribute name may mean. */
export function anyPointer(ref: Extract<FieldRef, { kind: 'attr' }>, c: CompileContext, build: (text: string, pointer: string) => string): string {
  const parts = ref.pointers.map((ptr) => {
    const pointer = c.p.add(ptr);
    return build(c.d.attrText(pointer), pointer);
  });
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

/** Compile-time problems (a bad date in a range, a wildcard on a timestamp) are the user's: 400. */
export function invalid(message: string): never {
  throw new QuerySyntaxError(message, 0);
}

export { resolveField };
