/**
 * Nanosecond timestamps (OTLP's fixed64 `time_unix_nano`, Loki's entry times) exceed 2^53, so they
 * are handled as decimal digit strings. Sawmill stores µs; the record keeps the full value as
 * `timestampNs` when it has digits below the microsecond, so nothing the client sent is lost.
 */

/** Digits of a non-negative ns value from a JSON string/number or a protobufjs Long; null if not one. */
export function nanosDigits(v: unknown): string | null {
  if (typeof v === 'string') {
    const s = v.trim();
    return /^\d{1,20}$/.test(s) ? stripZeros(s) : null;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) return null;
    // A JSON number above 2^53 has already lost its last digits; this keeps what is left.
    return BigInt(Math.round(v)).toString();
  }
  if (v !== null && typeof v === 'object' && 'low' in v && 'high' in v) {
    const long = v as { low: number; high: number; unsigned?: boolean };
    const n = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
    return n.toString();
  }
  return null;
}

function stripZeros(s: string): string {
  const t = s.replace(/^0+/, '');
  return t === '' ? '0' : t;
}

/** The last seconds → "YYYY-MM-DDTHH:MM:SS" conversion: records of one batch share their seconds. */
let lastSeconds = '';
let lastPrefix = '';

/** RFC 3339 with all nine fraction digits: the shared timestamp parser keeps six of them. */
export function nanosToIso(digits: string): string | null {
  const padded = digits.length >= 10 ? digits : digits.padStart(10, '0');
  const secondsText = padded.slice(0, -9);
  if (secondsText !== lastSeconds) {
    const seconds = Number(secondsText);
    const date = new Date(seconds * 1000);
    if (Number.isNaN(date.getTime()) || seconds > 253_402_300_799) return null; // after 9999-12-31
    lastSeconds = secondsText;
    lastPrefix = date.toISOString().slice(0, 19);
  }
  return `${lastPrefix}.${padded.slice(-9)}Z`;
}

/** True when the value has digits below the microsecond (worth keeping as `timestampNs`). */
export function hasSubMicros(digits: string): boolean {
  return !digits.endsWith('000');
}
