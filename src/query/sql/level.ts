import { normaliseLevel } from '../../model/level.js';
import { LEVELS, type Level } from '../../model/record.js';
import { attrText } from './columns.js';
import { anyOf, type CompileContext } from './context.js';
import { escapeLike } from './patterns.js';

type Bounds = { gt?: string; gte?: string; lt?: string; lte?: string };

/**
 * `level:error`. Levels are stored normalised, so the value is normalised the same way: any case,
 * and aliases (`warning`, `err`, `crit`, syslog and pino numbers) name their level. A name that
 * ingest would have turned into `info` (`notice`, or one it does not know) matches the records
 * sent with that name, which keep it as `originalLevel`: `level:notice` must not mean every info.
 */
export function levelEquals(ctx: CompileContext, value: string): string {
  const { level, original } = normaliseLevel(value);
  const column = ctx.dialect.column('level');
  if (original === undefined || level !== 'info') return `${column} = ${ctx.param(level)}`;
  const sentAs = ctx.dialect.like(attrText(ctx, ['originalLevel']), ctx.param(escapeLike(value)), true);
  return `(${column} = ${ctx.param(level)} AND ${sentAs})`;
}

/** `level:>=warn`: ranges follow severity (trace < debug < info < warn < error < fatal), not spelling. */
export function levelRange(ctx: CompileContext, bounds: Bounds): string {
  const column = ctx.dialect.column('level');
  return anyOf(levelsInRange(bounds).map((level) => `${column} = ${ctx.param(level)}`));
}

/** The levels a level range keeps (a store's rollup reuses it to answer the same filter). */
export function levelsInRange(bounds: Bounds): Level[] {
  const rank = (name: string) => LEVELS.indexOf(normaliseLevel(name).level);
  return LEVELS.filter((_, i) => {
    if (bounds.gt !== undefined && !(i > rank(bounds.gt))) return false;
    if (bounds.gte !== undefined && !(i >= rank(bounds.gte))) return false;
    if (bounds.lt !== undefined && !(i < rank(bounds.lt))) return false;
    if (bounds.lte !== undefined && !(i <= rank(bounds.lte))) return false;
    return true;
  });
}
