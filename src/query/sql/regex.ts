import type { QueryNode } from '../ast.js';
import { resolveField } from '../fields.js';
import { onText } from './columns.js';
import type { CompileContext } from './context.js';

type RegexNode = Extract<QueryNode, { kind: 'regex' }>;

/**
 * `/pattern/`: RE2 syntax, unanchored — it matches anywhere in the value, as in Loki and Grafana
 * (users write `/conn(ect|ection) refused/` for a part of a message; Elasticsearch would anchor
 * it). With no field it searches the message.
 */
export function compileRegex(node: RegexNode, ctx: CompileContext): string {
  const target = resolveField(node.field ?? 'message');
  const pattern = ctx.param(ctx.dialect.regexPattern?.(node.pattern) ?? node.pattern);
  return onText(ctx, target, (text) => ctx.dialect.regexMatch(text, pattern, node.caseInsensitive));
}
