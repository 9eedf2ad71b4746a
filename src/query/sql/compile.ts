import type { QueryNode } from '../ast.js';
import type { CompileContext } from './context.js';
import { Params, type SqlDialect } from './dialect.js';
import { compileExists } from './exists.js';
import { compileRange } from './range.js';
import { compileRegex } from './regex.js';
import { compileTerm } from './term.js';
import { compileWildcard } from './wildcard.js';

/**
 * AST → one boolean SQL expression. Every user value (and every attribute path) goes into
 * `params` and appears in the SQL only as `$n`, so no query text can change the statement.
 */
export function compileWhere(node: QueryNode, dialect: SqlDialect, params: unknown[]): string {
  return compileNode(node, { d: dialect, p: new Params(params) });
}

function compileNode(node: QueryNode, c: CompileContext): string {
  switch (node.kind) {
    case 'all':
      return 'TRUE';
    case 'and':
      return `(${node.children.map((n) => compileNode(n, c)).join(' AND ')})`;
    case 'or':
      return `(${node.children.map((n) => compileNode(n, c)).join(' OR ')})`;
    case 'not':
      // SQL's NULL would make NOT drop rows that lack the field; a missing field is "not x".
      return `(NOT coalesce(${compileNode(node.child, c)}, FALSE))`;
    case 'term':
      return compileTerm(node.field, node.value, c, false);
    case 'phrase':
      return compileTerm(node.field, node.value, c, true);
    case 'wildcard':
      return compileWildcard(node.field, node.pattern, c);
    case 'regex':
      return compileRegex(node.field, node.pattern, node.caseInsensitive, c);
    case 'range':
      return compileRange(node, c);
    case 'exists':
      return compileExists(node.field, c);
  }
}
