import { KEYWORD_FIELDS } from '../../model/record.js';
import type { QueryNode } from '../ast.js';
import { isRecordId, numericValue, resolveField } from '../fields.js';
import { parseTimeExpr } from '../time.js';
import { attrText } from './columns.js';
import { anyOf, type CompileContext } from './context.js';
import { levelEquals } from './level.js';
import { messageText } from './message.js';

type ValueNode = Extract<QueryNode, { kind: 'term' | 'phrase' }>;

/**
 * A word or a quoted value. Both mean the same: words or a phrase in the message, the exact value
 * anywhere else (a quoted value only lets the user type spaces and operators). With no field it
 * is a message match or an exact keyword-field value (`server-1234` finds that resource).
 */
export function compileValue(node: ValueNode, ctx: CompileContext): string {
  const { value } = node;
  const { dialect } = ctx;
  if (node.field === null) {
    return anyOf([
      messageText(ctx, value),
      ...KEYWORD_FIELDS.map((f) => dialect.keywordEquals(f, value, (v) => ctx.param(v))),
    ]);
  }
  const target = resolveField(node.field);
  switch (target.kind) {
    case 'message':
      return messageText(ctx, value);
    case 'level':
      return levelEquals(ctx, value);
    case 'timestamp':
      return `${dialect.column('timestamp')} = ${dialect.timestamp(ctx.param(parseTimeExpr(value, ctx.nowMs)))}`;
    case 'id':
      return isRecordId(value) ? `${dialect.column('id')} = ${dialect.recordId(ctx.param(value))}` : 'FALSE';
    case 'keyword':
      return dialect.keywordEquals(target.field, value, (v) => ctx.param(v));
    case 'attr':
      return attrEquals(ctx, target.paths, value);
  }
}

/**
 * Text equality on the attribute; a numeric-looking value also matches the number however it
 * was written (`http.status:500` finds 500, "500" and 500.0). `true`/`false` need nothing
 * special: JSON booleans read as that text.
 */
function attrEquals(ctx: CompileContext, paths: string[][], value: string): string {
  const text = ctx.param(value);
  const n = numericValue(value);
  const number = n === null ? null : ctx.param(n);
  return anyOf(
    paths.map((keys) => {
      const attr = attrText(ctx, keys);
      return number === null
        ? `${attr} = ${text}`
        : `(${attr} = ${text} OR ${ctx.dialect.toNumber(attr)} = ${number})`;
    }),
  );
}
