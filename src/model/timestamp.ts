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
  if (typeof value !== 'string')
    return { error: `timestamp must be a string or a number, got ${typeName(value)}` };
  const fast = parseUtcIsoFast(value);
  if (fast >= 0) return { micros: fast };
  const s = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    // Nanosecond epochs exceed 2^53: take the integer part by digits to keep µs exact.
    if (/^\d{19}$/.test(s)) return { micros: Number(s.slice(0, 16)) };
    return { micros: epochToMicros(Number(s)) };
  }
  const m = ISO.exec(s);
  if (!m)
    return {
      error: `timestamp ${JSON.stringify(value.slice(0, 64))} is not RFC 3339 / ISO 8601 or an epoch number`,
    };
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', tz] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (
    Number.isNaN(ms) ||
    Number(mo) < 1 ||
    Number(mo) > 12 ||
    Number(d) < 1 ||
    Number(d) > 31 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(sec) > 60
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

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the shape nearly every shipper sends, parsed from char
 * codes (about 10x faster than the general regex path). Returns -1 for anything else, which
 * then takes the general path and its error messages.
 */
function parseUtcIsoFast(s: string): number {
  const n = s.length;
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 90 /* Z */) return -1;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return -1;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return -1;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 7);
  const d = digits(s, 8, 10);
  const h = digits(s, 11, 13);
  const mi = digits(s, 14, 16);
  const sec = digits(s, 17, 19);
  if (
    y < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    sec < 0 ||
    sec > 60
  ) {
    return -1;
  }
  let micros = 0;
  if (n > 20) {
    if (s.charCodeAt(19) !== 46 /* . */ || n === 21) return -1;
    let scale = 100_000;
    for (let i = 20; i < n - 1; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return -1;
      micros += c * scale;
      scale = Math.floor(scale / 10);
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, sec) * 1000 + micros;
}

function digits(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
