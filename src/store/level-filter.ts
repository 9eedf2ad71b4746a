import { normaliseLevel } from '../model/level.js';
import { LEVELS, type Level } from '../model/record.js';
import type { QueryNode } from '../query/ast.js';
import { resolveField } from '../query/fields.js';
import { levelsInRange } from '../query/sql/level.js';
import { onlyTime } from './duckdb/rollup.js';

/**
 * The levels a query keeps when it filters on nothing but time and level (`level:error`,
 * `level:>=warn`, `-level:debug`, `(level:fatal OR level:error)`, any of them AND a time range),
 * so its histogram and total can be summed from the minute rollup, which counts by level; null
 * for any other filter. Each answer is the set of levels the compiled SQL (sql/level.ts) would
 * keep, so the sums are exactly the counts a scan would find.
 */
export function rollupLevels(node: QueryNode): Level[] | null {
  const set = node.kind === 'and' ? timeAnd(node.children) : onlyTime(node) ? ALL : levels(node);
  return set === null ? null : LEVELS.filter((l) => set.has(l));
}

const ALL: ReadonlySet<Level> = new Set(LEVELS);

/** Time filters are taken from the query by the store (extractTimeBounds) only at the top AND. */
function timeAnd(children: readonly QueryNode[]): ReadonlySet<Level> | null {
  let set: ReadonlySet<Level> = ALL;
  for (const child of children) {
    if (onlyTime(child)) continue;
    const s = levels(child);
    if (s === null) return null;
    set = new Set([...set].filter((l) => s.has(l)));
  }
  return set;
}

function levels(node: QueryNode): ReadonlySet<Level> | null {
  switch (node.kind) {
    case 'all':
      return ALL;
    case 'and': {
      let set: ReadonlySet<Level> = ALL;
      for (const child of node.children) {
        const s = levels(child);
        if (s === null) return null;
        set = new Set([...set].filter((l) => s.has(l)));
      }
      return set;
    }
    case 'or': {
      const set = new Set<Level>();
      for (const child of node.children) {
        const s = levels(child);
        if (s === null) return null;
        for (const l of s) set.add(l);
      }
      return set;
    }
    case 'not': {
      const s = levels(node.child);
      return s === null ? null : new Set(LEVELS.filter((l) => !s.has(l)));
    }
    case 'term':
    case 'phrase': {
      if (node.field === null || resolveField(node.field).kind !== 'level') return null;
      const { level, original } = normaliseLevel(node.value);
      // `level:notice` also reads the record's originalLevel attribute: not in the rollup.
      if (original !== undefined && level === 'info') return null;
      return new Set([level]);
    }
    case 'range': {
      if (resolveField(node.field).kind !== 'level') return null;
      const bounded = [node.gt, node.gte, node.lt, node.lte].some((b) => b !== undefined);
      return bounded ? new Set(levelsInRange(node)) : ALL; // no bound: level exists, always
    }
    case 'exists':
      return resolveField(node.field).kind === 'level' ? ALL : null;
    default:
      return null;
  }
}
