import { type CompileContext, resolveField } from './context.js';

/** `field:*`: the record has the field (id, timestamp, level and message always exist). */
export function compileExists(field: string, c: CompileContext): string {
  const ref = resolveField(field);
  if (ref.kind === 'attr') {
    const parts = ref.pointers.map((p) => c.d.attrExists(c.p.add(p)));
    return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  }
  if (ref.name === 'id' || ref.name === 'timestamp' || ref.name === 'level' || ref.name === 'message') return 'TRUE';
  return `(${c.d.column[ref.name]} IS NOT NULL)`;
}
