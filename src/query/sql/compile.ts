import type { QueryNode } from '../ast.js';
import { allOf, anyOf, type CompileContext, createContext } from './context.js';
import type { SqlDialect } from './dialect.js';
import { compileExists } from './exists.js';
import { compileRange } from './range.js';
import { compileRegex } from './regex.js';
import { compileValue } from './term.js';
import { compileWildcard } from './wildcard.js';

/**
 * A query as a boolean SQL expression over one `logs` row. Every user value and field name goes
 * into `params` (referenced as `$N`, 1-based, appended after whatever `params` already holds);
 * the SQL text itself is built only from fixed fragments. `nowMs` anchors relative times.
 */
export function compileWhere(
  node: QueryNode,
  dialect: SqlDialect,
  params: unknown[],
  nowMs: number = Date.now(),
): string {
  return compileNode(node, createContext(dialect, params, nowMs));
}

function compileNode(node: QueryNode, ctx: CompileContext): string {
  switch (node.kind) {
    case 'all':
      return 'TRUE';
    case 'and':
      return allOf(node.children.map((child) => compileNode(child, ctx)));
    case 'or':
      return anyOf(node.children.map((child) => compileNode(child, ctx)));
    case 'not':
      // A filter on a missing value is NULL, and NOT NULL is NULL: without COALESCE,
      // `-resourceId:x` would drop every record that has no resourceId.
      return `(NOT COALESCE(${compileNode(node.child, ctx)}, FALSE))`;
    case 'term':
    case 'phrase':
      return compileValue(node, ctx);
    case 'wildcard':
      return compileWildcard(node, ctx);
    case 'regex':
      return compileRegex(node, ctx);
    case 'range':
      return compileRange(node, ctx);
    case 'exists':
      return compileExists(node, ctx);
  }
}
