import { parseTimestamp } from '../model/timestamp.js';
import type { QueryNode } from './ast.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** `now`, `now-15m`, `now+1h`, optionally rounded down: `now/d`, `now-1d/d` (UTC). */
const RELATIVE = /^now(?:([+-])(\d{1,9})([smhdw]))?(?:\/([smhd]))?$/;

/**
 * A time as users type it in `from`/`to` and in `timestamp` range bounds → µs since the epoch:
 * RFC 3339 / ISO 8601, an epoch number (s, ms, µs or ns by magnitude), or relative to `nowMs`.
 * Weeks are not a rounding unit: where a week starts is a locale question.
 */
export function parseTimeExpr(text: string, nowMs: number): number {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) {
    const [, sign, amount, unit, roundTo] = rel;
    let ms = nowMs;
    if (sign) ms += (sign === '-' ? -1 : 1) * Number(amount) * UNIT_MS[unit as Unit];
    if (roundTo) ms -= mod(ms, UNIT_MS[roundTo as Unit]);
    return ms * 1000;
  }
  const parsed = t === '' ? null : parseTimestamp(t);
  if (parsed === null || 'error' in parsed) {
    throw new Error(
      `${JSON.stringify(text)} is not a time: use RFC 3339 (2023-09-15T08:00:00Z), an epoch number, or now, now-15m, now-7d/d`,
    );
  }
  return parsed.micros;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

export interface TimeBounds {
  /** Inclusive lower bound, µs. */
  from?: number;
  /** Inclusive upper bound, µs. */
  to?: number;
}

/**
 * The time window every match must lie in, from `timestamp` ranges and values that are top-level
 * conjuncts (under AND only: a range under OR or NOT bounds nothing), so a store can skip time
 * partitions. Exclusive bounds become inclusive ones a microsecond further in (timestamps are
 * whole µs). Bounds that are not times are left out; the SQL compiler reports them.
 */
export function extractTimeBounds(node: QueryNode, nowMs: number = Date.now()): TimeBounds {
  const out: TimeBounds = {};
  const narrow = (from: number | undefined, to: number | undefined) => {
    if (from !== undefined) out.from = out.from === undefined ? from : Math.max(out.from, from);
    if (to !== undefined) out.to = out.to === undefined ? to : Math.min(out.to, to);
  };
  const time = (text: string | undefined, adjust: number): number | undefined => {
    if (text === undefined) return undefined;
    try {
      return parseTimeExpr(text, nowMs) + adjust;
    } catch {
      return undefined;
    }
  };
  const visit = (n: QueryNode): void => {
    if (n.kind === 'and') n.children.forEach(visit);
    else if (n.kind === 'range' && n.field === 'timestamp') {
      narrow(time(n.gte, 0) ?? time(n.gt, 1), time(n.lte, 0) ?? time(n.lt, -1));
    } else if ((n.kind === 'term' || n.kind === 'phrase') && n.field === 'timestamp') {
      const at = time(n.value, 0);
      narrow(at, at);
    }
  };
  visit(node);
  return out;
}
