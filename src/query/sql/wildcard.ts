import { LEVELS } from '../../model/record.js';
import { type CompileContext, anyPointer, invalid, resolveField } from './context.js';
import { KEYWORD_COLUMNS } from './dialect.js';
import { bounded, escapeLike, escapeRegex, wildcardParts } from './text.js';

/** `*` / `?` over a whole value: LIKE's `%` / `_` (literal % and _ escaped). */
function wholeValueLike(pattern: string): string {
  return wildcardParts(pattern)
    .map((part) => ('wild' in part ? (part.wild === '*' ? '%' : '_') : escapeLike(part.literal)))
    .join('');
}

/** In the message a wildcard matches one word: `conn*` is a word starting with "conn". */
function messageWildcard(pattern: string, c: CompileContext): string {
  const parts = wildcardParts(pattern);
  const body = parts.map((part) => ('wild' in part ? (part.wild === '*' ? '\\w*' : '\\w') : escapeRegex(part.literal))).join('');
  // Word boundaries where the pattern starts/ends with a wildcard or a word character.
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const edges = `${'literal' in first ? first.literal : 'w'}${'literal' in last ? last.literal : 'w'}`;
  const regex = `(?i)${bounded(edges, body)}`;
  const literals = parts.flatMap((part) => ('literal' in part ? [escapeLike(part.literal)] : []));
  const col = c.d.column.message;
  const like = literals.length > 0 ? `${c.d.ilike(col, c.p.add(`%${literals.join('%')}%`))} AND ` : '';
  return `(${like}${c.d.regexMatch(col, c.p.add(regex))})`;
}

export function compileWildcard(field: string | null, pattern: string, c: CompileContext): string {
  if (field === null) {
    const like = c.p.add(wholeValueLike(pattern));
    const keywords = KEYWORD_COLUMNS.map((k) => c.d.like(c.d.column[k], like)).join(' OR ');
    return `(${messageWildcard(pattern, c)} OR ${keywords})`;
  }
  const ref = resolveField(field);
  if (ref.kind === 'attr') return anyPointer(ref, c, (text) => c.d.like(text, c.p.add(wholeValueLike(pattern))));
  switch (ref.name) {
    case 'message':
      return messageWildcard(pattern, c);
    case 'level': {
      const re = new RegExp(`^${wildcardParts(pattern).map((p) => ('wild' in p ? (p.wild === '*' ? '.*' : '.') : escapeRegex(p.literal))).join('')}$`, 'i');
      const levels = LEVELS.filter((l) => re.test(l));
      return levels.length === 0 ? 'FALSE' : `${c.d.column.level} IN (${levels.map((l) => c.p.add(l)).join(', ')})`;
    }
    case 'timestamp':
    case 'id':
      return invalid(`Wildcards are not supported on "${field}"; use a range such as ${field}:[a TO b]`);
    default:
      return c.d.like(c.d.column[ref.name], c.p.add(wholeValueLike(pattern)));
  }
}
