/**
 * Timestamps arrive as RFC 3339 / ISO 8601 strings or as epoch numbers in s, ms, µs or ns.
 * Everything becomes integer microseconds since the epoch (UTC); sub-microsecond digits are dropped.
 */
export type TimestampResult = { micros: number } | { error: string };

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Epoch number → µs, choosing the unit by magnitude (the same rule Vector and Loki clients use). */
export function epochToMicros(n: number): number {
  const a = Math.abs(n);
  if (a < 1e11) return Math.round(n * 1e6); // seconds (until year 5138), fractions allowed
  if (a < 1e14) return Math.round(n * 1e3); // milliseconds
  if (a < 1e17) return Math.round(n); // microseconds
  return Math.floor(n / 1e3); // nanoseconds
}

export function parseTimestamp(value: unknown): TimestampResult {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { error: 'timestamp is not a finite number' };
    return { micros: epochToMicros(value) };
  }
  if (typeof value !== 'string') return { error: `timestamp must be a string or a number, got ${typeName(value)}` };
  const s = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    // Nanosecond epochs exceed 2^53: take the integer part by digits to keep µs exact.
    if (/^\d{19}$/.test(s)) return { micros: Number(s.slice(0, 16)) };
    return { micros: epochToMicros(Number(s)) };
  }
  const m = ISO.exec(s);
  if (!m) return { error: `timestamp ${JSON.stringify(value.slice(0, 64))} is not RFC 3339 / ISO 8601 or an epoch number` };
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', tz] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (
    Number.isNaN(ms) ||
    Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 ||
    Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60
  ) {
    return { error: `timestamp ${JSON.stringify(value.slice(0, 64))} is not a valid date` };
  }
  let offsetMin = 0;
  if (tz && tz !== 'Z' && tz !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const micros = (ms - offsetMin * 60_000) * 1000 + Number(frac.slice(0, 6).padEnd(6, '0'));
  return { micros };
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
