import { describe, expect, it } from 'vitest';
import { nanosText, timestampValue, toNanos } from '../../src/protocols/otlp/nanos.js';

/** A protobufjs Long (fixed64 is unsigned): 32-bit halves as signed ints, as long.js keeps them. */
const long = (s: string) => ({
  low: Number(BigInt(s) & 0xffffffffn) | 0,
  high: Number(BigInt(s) >> 32n) | 0,
  unsigned: true,
});

/** The µs / sub-µs split without BigInt must agree with BigInt arithmetic for every real time. */
describe('nanosecond timestamps', () => {
  const samples = [
    '0',
    '999',
    '1000',
    '1694764800000000000',
    '1700000000123456789',
    '1795338625682000001',
    '4102444799999999999', // 2099-12-31T23:59:59.999999999Z
    '9007199254740991999', // µs at 2^53 - 1: the last exact one
  ];
  let seed = 7;
  for (let i = 0; i < 500; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    samples.push(
      (BigInt(seed) * 2_000_000_000n + BigInt(seed % 1000) + 1_500_000_000_000_000_000n).toString(),
    );
  }

  it('splits strings and protobufjs Longs exactly', () => {
    for (const s of samples) {
      const expected = { micros: Number(BigInt(s) / 1000n), sub: Number(BigInt(s) % 1000n) };
      expect(toNanos(s), s).toEqual(expected);
      expect(toNanos(long(s)), s).toEqual(expected);
      expect(nanosText(expected)).toBe(s);
    }
  });

  it('refuses what is not an unsigned integer', () => {
    for (const v of ['-1', '1.5', 'soon', '123456789012345678901', -1, Number.NaN, {}, null, true]) {
      expect(toNanos(v), String(v)).toBeNull();
    }
  });

  it('hands the normaliser a µs number where its magnitude rule reads µs, RFC 3339 before', () => {
    expect(timestampValue({ micros: 1_700_000_000_123_456, sub: 789 })).toBe(1_700_000_000_123_456);
    expect(timestampValue({ micros: 5, sub: 0 })).toBe('1970-01-01T00:00:00.000005Z');
    expect(timestampValue({ micros: 1e17, sub: 0 })).toBeNull();
  });
});
