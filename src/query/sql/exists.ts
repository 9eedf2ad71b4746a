import type { QueryNode } from '../ast.js';
import { resolveField } from '../fields.js';
import { reservedField } from './columns.js';
import { anyOf, type CompileContext } from './context.js';

type ExistsNode = Extract<QueryNode, { kind: 'exists' }>;

/** `field:*`: the field is present (for an attribute, even with a JSON null value). */
export function compileExists(node: ExistsNode, ctx: CompileContext): string {
  const { dialect } = ctx;
  const target = resolveField(node.field);
  if (target.kind !== 'attr') return `${dialect.column(reservedField(target))} IS NOT NULL`;
  return anyOf(
    target.paths.map((keys) => {
      const json = dialect.attrExists(ctx.param(dialect.attrPath(keys)));
      const column = dialect.attrColumn?.(keys);
      return column === undefined ? json : `(${column} IS NOT NULL OR ${json})`;
    }),
  );
}
