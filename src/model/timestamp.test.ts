import { describe, expect, it } from 'vitest';
import { parseTimestamp } from './timestamp.js';

const micros = (v: unknown) => {
  const r = parseTimestamp(v);
  return 'micros' in r ? r.micros : r.error;
};
const T = Date.UTC(2023, 8, 15, 8) * 1000;

describe('parseTimestamp', () => {
  it.each([
    ['2023-09-15T08:00:00Z', T],
    ['2023-09-15T08:00:00.123Z', T + 123_000],
    ['2023-09-15T08:00:00.123456789Z', T + 123_456],
    ['2023-09-15T10:00:00+02:00', T],
    ['2023-09-15T03:30:00-0430', T],
    ['2023-09-15 08:00:00Z', T],
    ['2023-09-15', Date.UTC(2023, 8, 15) * 1000],
    ['1694764800', T],
    [1694764800, T],
    [1694764800.5, T + 500_000],
    [1694764800000, T],
    [1694764800000000, T],
    [1694764800000000000, T],
    ['1694764800123456789', T + 123_456],
  ])('%j', (input, expected) => {
    expect(micros(input)).toBe(expected);
  });

  it.each(['yesterday', '2023-13-01T00:00:00Z', '2023-09-15T25:00:00Z', true, {}, Number.NaN])(
    'refuses %j',
    (input) => {
      expect(typeof micros(input)).toBe('string');
    },
  );
});
