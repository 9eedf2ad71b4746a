import { KEYWORD_FIELDS } from '../../model/record.js';
import type { FieldTarget } from '../fields.js';
import { anyOf, type CompileContext } from './context.js';
import type { ReservedField } from './dialect.js';

/** The columns a field-less value is compared with exactly (besides the message). */
export function keywordColumns(ctx: CompileContext): string[] {
  return KEYWORD_FIELDS.map((f) => ctx.dialect.column(f));
}

export function reservedField(target: Exclude<FieldTarget, { kind: 'attr' }>): ReservedField {
  return target.kind === 'keyword' ? target.field : target.kind;
}

/**
 * `predicate` applied to the field as text. An attribute has two candidate paths (nested and
 * literal dotted key) and matches when either does; params the predicate needs are added once by
 * the caller and shared.
 */
export function onText(
  ctx: CompileContext,
  target: FieldTarget,
  predicate: (text: string) => string,
): string {
  if (target.kind !== 'attr') return predicate(ctx.dialect.columnText(reservedField(target)));
  return anyOf(target.paths.map((keys) => predicate(attrText(ctx, keys))));
}

export function attrText(ctx: CompileContext, keys: readonly string[]): string {
  const json = ctx.dialect.attrText(ctx.param(ctx.dialect.attrPath(keys)));
  const column = ctx.dialect.attrColumn?.(keys);
  return column === undefined ? json : `coalesce(${column}, ${json})`;
}
