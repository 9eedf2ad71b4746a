import { type CompileContext, anyPointer, invalid, resolveField } from './context.js';

/**
 * `/pattern/` matches anywhere in the value (unanchored, like Loki and grep; add ^ and $ to
 * anchor). Without a field it searches the message. RE2 syntax in every store.
 */
export function compileRegex(field: string | null, pattern: string, caseInsensitive: boolean, c: CompileContext): string {
  const re = () => c.p.add(caseInsensitive ? `(?i)${pattern}` : pattern);
  if (field === null) return c.d.regexMatch(c.d.column.message, re());
  const ref = resolveField(field);
  if (ref.kind === 'attr') return anyPointer(ref, c, (text) => c.d.regexMatch(text, re()));
  if (ref.name === 'timestamp' || ref.name === 'id') {
    return invalid(`Regular expressions are not supported on "${field}"`);
  }
  return c.d.regexMatch(c.d.column[ref.name], re());
}
