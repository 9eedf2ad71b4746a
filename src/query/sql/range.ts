import { knownLevel } from '../../model/level.js';
import { LEVELS } from '../../model/record.js';
import type { QueryNode } from '../ast.js';
import { parseTimeExpr } from '../time.js';
import { type CompileContext, NUMBER, anyPointer, invalid, resolveField } from './context.js';

type Range = Extract<QueryNode, { kind: 'range' }>;
const OPS = [
  ['gt', '>'],
  ['gte', '>='],
  ['lt', '<'],
  ['lte', '<='],
] as const;

/**
 * Ranges and comparisons. Timestamps take any time expression; `level` compares by severity
 * (`level:>=warn`); other fields compare as numbers when the bound is a number, else as text.
 */
export function compileRange(node: Range, c: CompileContext): string {
  const ref = resolveField(node.field);
  const bounds = OPS.filter(([k]) => node[k] !== undefined).map(([k, op]) => ({ op, value: node[k]! }));
  if (bounds.length === 0) return 'TRUE'; // [* TO *]
  if (ref.kind === 'attr') {
    return anyPointer(ref, c, (text) =>
      bounds
        .map(({ op, value }) =>
          NUMBER.test(value) ? `${c.d.toNumber(text)} ${op} ${c.p.add(Number(value))}` : `${text} ${op} ${c.p.add(value)}`,
        )
        .join(' AND '),
    );
  }
  switch (ref.name) {
    case 'timestamp':
      return bounds
        .map(({ op, value }) => {
          let micros: number;
          try {
            micros = parseTimeExpr(value, Date.now());
          } catch (err) {
            invalid(`timestamp range: ${(err as Error).message}`);
          }
          return `${c.d.column.timestamp} ${op} ${c.d.timestamp(c.p.add(micros))}`;
        })
        .join(' AND ');
    case 'id':
      return bounds
        .map(({ op, value }) => {
          if (!/^\d{1,20}$/.test(value)) invalid(`id range bounds must be ids, got ${JSON.stringify(value)}`);
          return `${c.d.column.id} ${op} ${c.d.id(c.p.add(value))}`;
        })
        .join(' AND ');
    case 'level': {
      const rank = (v: string) => {
        const l = knownLevel(v);
        if (!l) invalid(`level range bounds must be levels (${LEVELS.join(', ')}), got ${JSON.stringify(v)}`);
        return LEVELS.indexOf(l);
      };
      const keep = LEVELS.filter((_, i) =>
        bounds.every(({ op, value }) => {
          const r = rank(value);
          return op === '>' ? i > r : op === '>=' ? i >= r : op === '<' ? i < r : i <= r;
        }),
      );
      return keep.length === 0 ? 'FALSE' : `${c.d.column.level} IN (${keep.map((l) => c.p.add(l)).join(', ')})`;
    }
    default:
      return bounds.map(({ op, value }) => `${c.d.column[ref.name]} ${op} ${c.p.add(value)}`).join(' AND ');
  }
}
