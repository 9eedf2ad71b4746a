import type { QueryNode } from '../query/ast.js';

/**
 * A cache for the read endpoints whose answers are costly and stable: histograms and field
 * summaries over a closed time range. Embedded mode has none (its minute rollup answers
 * histograms from memory-resident tables); cluster query nodes share one in Redis.
 */
export interface QueryCache {
  /**
   * The cached answer for (`endpoint`, `key`) if one is still valid for the time span, else
   * `compute()`'s, stored for next time. `key` holds every parameter that shapes the answer.
   */
  get<T>(
    endpoint: string,
    span: { query: QueryNode; from?: number; to?: number },
    key: unknown,
    compute: () => Promise<T>,
  ): Promise<T>;
}

/** True when the query's meaning depends on when it runs (`timestamp:>now-15m`). */
export function hasRelativeTime(node: QueryNode): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.children.some(hasRelativeTime);
    case 'not':
      return hasRelativeTime(node.child);
    case 'range':
      return [node.gt, node.gte, node.lt, node.lte].some((v) => v !== undefined && /^\s*now/i.test(v));
    case 'term':
    case 'phrase':
      return /^\s*now/i.test(node.value);
    default:
      return false;
  }
}
