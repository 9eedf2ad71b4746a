import type { QueryNode } from '../ast.js';
import { isRecordId, numericValue, resolveField } from '../fields.js';
import { parseTimeExpr } from '../time.js';
import { onText, reservedField } from './columns.js';
import { allOf, type CompileContext } from './context.js';
import { compileExists } from './exists.js';
import { levelRange } from './level.js';

type RangeNode = Extract<QueryNode, { kind: 'range' }>;

const OPERATORS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/**
 * Ranges and comparisons. Bounds are coerced per field: times on `timestamp` (absolute or
 * `now-15m`), integers on `id`, severity on `level`; on an attribute a numeric comparison when
 * every bound is a number (values that are not numbers never match), else a text comparison.
 * A missing bound is an open end; with neither, the field need only exist.
 */
export function compileRange(node: RangeNode, ctx: CompileContext): string {
  const { dialect } = ctx;
  const bounds = (['gt', 'gte', 'lt', 'lte'] as const).flatMap((key) => {
    const value = node[key];
    return value === undefined ? [] : [{ op: OPERATORS[key], value }];
  });
  if (bounds.length === 0) return compileExists({ kind: 'exists', field: node.field }, ctx);
  const target = resolveField(node.field);
  switch (target.kind) {
    case 'level':
      return levelRange(ctx, node);
    case 'timestamp':
      return allOf(
        bounds.map(
          (b) =>
            `${dialect.column('timestamp')} ${b.op} ${dialect.timestamp(ctx.param(parseTimeExpr(b.value, ctx.nowMs)))}`,
        ),
      );
    case 'id':
      return allOf(
        bounds.map(
          (b) => `${dialect.column('id')} ${b.op} ${dialect.recordId(ctx.param(recordId(b.value)))}`,
        ),
      );
    case 'attr': {
      const numeric = bounds.every((b) => numericValue(b.value) !== null);
      const params = bounds.map((b) => ({
        op: b.op,
        param: ctx.param(numeric ? numericValue(b.value) : b.value),
      }));
      return onText(ctx, target, (text) => {
        const value = numeric ? dialect.toNumber(text) : text;
        return allOf(params.map((b) => `${value} ${b.op} ${b.param}`));
      });
    }
    default: {
      const column = dialect.column(reservedField(target));
      return allOf(bounds.map((b) => `${column} ${b.op} ${ctx.param(b.value)}`));
    }
  }
}

function recordId(value: string): string {
  if (!isRecordId(value)) throw new Error(`${JSON.stringify(value)} is not a record id`);
  return value;
}
