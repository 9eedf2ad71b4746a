import { parseTimestamp } from '../model/timestamp.js';
import type { QueryNode } from './ast.js';

const UNIT_MS: Record<string, number> = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10 };
const RELATIVE = /^now(?:\s*([+-])\s*(\d+)\s*([smhdwy]))?(?:\/([smhdw]))?$/;

/**
 * A time as users type it in `from`/`to` and in range bounds → µs since the epoch:
 * RFC 3339 / ISO 8601, epoch numbers (s, ms, µs or ns by magnitude), or relative to now
 * (`now`, `now-15m`, `now-7d`, `now+1h`, rounded down with `/d`, `/h`, ...).
 */
export function parseTimeExpr(text: string, nowMs: number): number {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) {
    const [, sign, amount, unit, round] = rel;
    let ms = nowMs;
    if (sign) ms += (sign === '-' ? -1 : 1) * Number(amount) * UNIT_MS[unit!]!;
    if (round) ms = Math.floor(ms / UNIT_MS[round]!) * UNIT_MS[round]!;
    return ms * 1000;
  }
  const parsed = parseTimestamp(t);
  if ('error' in parsed) {
    throw new Error(`${JSON.stringify(text)} is not a time (use RFC 3339, an epoch number, or now-15m style)`);
  }
  return parsed.micros;
}

/**
 * The time window implied by `timestamp` ranges that every match must satisfy (top-level
 * conjuncts only — a range under OR or NOT bounds nothing), so stores can skip partitions.
 * Bounds that do not parse are ignored here; the compiler reports them.
 */
export function extractTimeBounds(node: QueryNode, nowMs = Date.now()): { from?: number; to?: number } {
  const out: { from?: number; to?: number } = {};
  const visit = (n: QueryNode) => {
    if (n.kind === 'and') n.children.forEach(visit);
    else if (n.kind === 'range' && n.field === 'timestamp') {
      const lo = n.gte ?? n.gt;
      const hi = n.lte ?? n.lt;
      const tryParse = (v: string) => {
        try {
          return parseTimeExpr(v, nowMs);
        } catch {
          return undefined;
        }
      };
      const from = lo === undefined ? undefined : tryParse(lo);
      const to = hi === undefined ? undefined : tryParse(hi);
      if (from !== undefined) out.from = out.from === undefined ? from : Math.max(out.from, from);
      if (to !== undefined) out.to = out.to === undefined ? to : Math.min(out.to, to);
    }
  };
  visit(node);
  return out;
}
