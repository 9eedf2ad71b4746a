import { microsToIso } from '../../model/record.js';

/**
 * Nanosecond timestamps (OTLP's fixed64 `time_unix_nano`, Loki's entry times) exceed 2^53, so they
 * are split into whole microseconds (what Sawmill stores; exact as a JS number until the year
 * 2255) and the nanoseconds below them. The record keeps the full value as `timestampNs` when that
 * remainder is not zero, so nothing the client sent is lost. No BigInt or Date per record: this
 * runs for every record of the two protocols.
 */
export interface Nanos {
  micros: number;
  /** 0–999: the nanoseconds below the microsecond. */
  sub: number;
}

const ZERO: Nanos = { micros: 0, sub: 0 };

/** From a JSON string or number or a protobufjs Long; null when it is not an unsigned integer. */
export function toNanos(v: unknown): Nanos | null {
  if (typeof v === 'string') {
    if (!/^\d{1,20}$/.test(v)) return null;
    if (v.length <= 3) return { micros: 0, sub: Number(v) };
    return { micros: Number(v.slice(0, -3)), sub: Number(v.slice(-3)) };
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) return null;
    // A JSON number this large has already lost its last digits: keep what is left, invent none.
    return v === 0 ? ZERO : { micros: Math.floor(v / 1000), sub: 0 };
  }
  if (v !== null && typeof v === 'object' && 'low' in v && 'high' in v) {
    // high * 2^32 + low, with 2^32 = 4,294,967 * 1000 + 296: exact in doubles for real times.
    const high = (v as { high: number }).high >>> 0;
    const low = (v as { low: number }).low >>> 0;
    if (high === 0 && low === 0) return ZERO; // an unset fixed64: protobufjs's default Long
    const rest = high * 296 + low;
    return { micros: high * 4_294_967 + Math.floor(rest / 1000), sub: rest % 1000 };
  }
  return null;
}

export function isZero(n: Nanos): boolean {
  return n.micros === 0 && n.sub === 0;
}

/** The full value in decimal, as sent. */
export function nanosText(n: Nanos): string {
  return n.micros === 0 ? String(n.sub) : `${n.micros}${String(n.sub).padStart(3, '0')}`;
}

/** Beyond this many µs the shared parser would read a number as ns (year 5138): never send one. */
const MAX_MICROS_NUMBER = 1e17;
/** From here on (1973-03-03) the shared parser reads a number of this size as µs. */
const MIN_MICROS_NUMBER = 1e14;

/**
 * The `timestamp` value to hand the normaliser: the µs number itself where its magnitude rule
 * reads it as µs (every real log time), an RFC 3339 string otherwise; null past the year 5138.
 */
export function timestampValue(n: Nanos): number | string | null {
  if (n.micros >= MAX_MICROS_NUMBER) return null;
  return n.micros >= MIN_MICROS_NUMBER ? n.micros : microsToIso(n.micros);
}
