import { knownLevel } from '../../model/level.js';
import { parseTimeExpr } from '../time.js';
import { type CompileContext, NUMBER, anyPointer, invalid, resolveField } from './context.js';
import { KEYWORD_COLUMNS } from './dialect.js';
import { bounded, escapeLike, escapeRegex, phraseLike, phraseRegex } from './text.js';

/** `timeout` in the message: a whole word, any case. LIKE first (cheap), then the regex. */
export function messageWord(word: string, c: CompileContext): string {
  const col = c.d.column.message;
  const like = c.d.ilike(col, c.p.add(`%${escapeLike(word)}%`));
  return `(${like} AND ${c.d.regexMatch(col, c.p.add(`(?i)${bounded(word, escapeRegex(word))}`))})`;
}

export function messagePhrase(phrase: string, c: CompileContext): string {
  const col = c.d.column.message;
  return `(${c.d.ilike(col, c.p.add(phraseLike(phrase)))} AND ${c.d.regexMatch(col, c.p.add(phraseRegex(phrase)))})`;
}

/** Exact value on any keyword column: what an unfielded term means besides a message word. */
export function anyKeyword(value: string, c: CompileContext): string {
  const v = c.p.add(value);
  return KEYWORD_COLUMNS.map((k) => `${c.d.column[k]} = ${v}`).join(' OR ');
}

/** `field:value` and bare `value` (term); `field:"value"` (phrase) shares everything but the message rule. */
export function compileTerm(field: string | null, value: string, c: CompileContext, phrase: boolean): string {
  // Built only where used: every call appends parameters, and unused ones fail to bind.
  const inMessage = () => (phrase ? messagePhrase(value, c) : messageWord(value, c));
  if (field === null) return `(${inMessage()} OR ${anyKeyword(value, c)})`;
  const ref = resolveField(field);
  if (ref.kind === 'attr') {
    return anyPointer(ref, c, (text) => {
      const eq = `${text} = ${c.p.add(value)}`;
      return NUMBER.test(value) ? `(${eq} OR ${c.d.toNumber(text)} = ${c.p.add(Number(value))})` : eq;
    });
  }
  switch (ref.name) {
    case 'message':
      return inMessage();
    case 'level': {
      const level = knownLevel(value);
      return level ? `${c.d.column.level} = ${c.p.add(level)}` : 'FALSE';
    }
    case 'timestamp': {
      let micros: number;
      try {
        micros = parseTimeExpr(value, Date.now());
      } catch (err) {
        invalid(`timestamp:${value}: ${(err as Error).message}`);
      }
      return `${c.d.column.timestamp} = ${c.d.timestamp(c.p.add(micros))}`;
    }
    case 'id':
      return /^\d{1,20}$/.test(value) ? `${c.d.column.id} = ${c.d.id(c.p.add(value))}` : 'FALSE';
    default:
      return `${c.d.column[ref.name]} = ${c.p.add(value)}`;
  }
}
