import { describe, expect, it } from 'vitest';
import { bucketAxis, MIN_BUCKETS } from './histogram-axis';

const T = Date.parse('2023-09-15T08:00:00Z');

describe('bucketAxis', () => {
  it('spans MIN_BUCKETS one-second buckets around a single match, not a day', () => {
    const xs = bucketAxis(T, T, 1000);
    expect(xs).toHaveLength(MIN_BUCKETS);
    expect(xs).toContain(T);
    expect(xs[xs.length - 1]! - xs[0]!).toBe((MIN_BUCKETS - 1) * 1000);
    expect(T - xs[0]!).toBe(Math.floor((MIN_BUCKETS - 1) / 2) * 1000);
  });

  it('keeps every bucket of a wide range, from the one holding `from` to the one holding `to`', () => {
    const xs = bucketAxis(T + 1500, T + 100 * 60_000 + 5, 60_000);
    expect(xs[0]).toBe(T);
    expect(xs[xs.length - 1]).toBe(T + 100 * 60_000);
    expect(xs).toHaveLength(101);
    expect(xs.every((x, i) => i === 0 || x - xs[i - 1]! === 60_000)).toBe(true);
  });

  it('pads a few buckets on both sides to MIN_BUCKETS', () => {
    const xs = bucketAxis(T, T + 3 * 3_600_000, 3_600_000);
    expect(xs).toHaveLength(MIN_BUCKETS);
    expect(xs.indexOf(T)).toBe(6);
    expect(xs).toContain(T + 3 * 3_600_000);
  });

  it('stops at 5,000 buckets however wide the range', () => {
    expect(bucketAxis(0, 10_000_000_000, 1000)).toHaveLength(5000);
  });
});
