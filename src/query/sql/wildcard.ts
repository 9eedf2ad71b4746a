import type { QueryNode } from '../ast.js';
import { resolveField } from '../fields.js';
import { keywordColumns, onText } from './columns.js';
import { anyOf, type CompileContext } from './context.js';
import { messageWildcard } from './message.js';
import { wildcardToLike } from './patterns.js';

type WildcardNode = Extract<QueryNode, { kind: 'wildcard' }>;

/**
 * `*` and `?`. In the message a pattern matches a word, case-insensitively; everywhere else the
 * whole value, case-sensitively except `level` (stored lower-case, typed in any case).
 */
export function compileWildcard(node: WildcardNode, ctx: CompileContext): string {
  const { dialect } = ctx;
  const target = node.field === null ? null : resolveField(node.field);
  if (target === null || target.kind === 'message') {
    const inMessage = messageWildcard(ctx, node.pattern);
    if (target !== null) return inMessage;
    const like = ctx.param(wildcardToLike(node.pattern));
    return anyOf([inMessage, ...keywordColumns(ctx).map((column) => dialect.like(column, like, false))]);
  }
  const like = ctx.param(wildcardToLike(node.pattern));
  return onText(ctx, target, (text) => dialect.like(text, like, target.kind === 'level'));
}
