import { describe, expect, it } from 'vitest';
import { parseQuery } from './parse.js';
import { extractTimeBounds, parseTimeExpr } from './time.js';

const NOW = Date.UTC(2023, 8, 15, 10, 37, 12, 345); // 2023-09-15T10:37:12.345Z
const us = (iso: string) => Date.parse(iso) * 1000;

describe('parseTimeExpr', () => {
  it('reads RFC 3339 / ISO 8601 times', () => {
    expect(parseTimeExpr('2023-09-15T08:00:00Z', NOW)).toBe(us('2023-09-15T08:00:00Z'));
    expect(parseTimeExpr('2023-09-15T10:00:00+02:00', NOW)).toBe(us('2023-09-15T08:00:00Z'));
    expect(parseTimeExpr('2023-09-15', NOW)).toBe(us('2023-09-15T00:00:00Z'));
    expect(parseTimeExpr('2023-09-15T08:00:00.123456Z', NOW)).toBe(us('2023-09-15T08:00:00Z') + 123_456);
  });

  it('reads epoch numbers in s, ms, µs or ns by magnitude', () => {
    const t = us('2023-09-15T08:00:00Z');
    expect(parseTimeExpr('1694764800', NOW)).toBe(t);
    expect(parseTimeExpr('1694764800000', NOW)).toBe(t);
    expect(parseTimeExpr('1694764800000000', NOW)).toBe(t);
    expect(parseTimeExpr('1694764800000000000', NOW)).toBe(t);
  });

  it('reads times relative to now, with optional rounding', () => {
    expect(parseTimeExpr('now', NOW)).toBe(NOW * 1000);
    expect(parseTimeExpr(' now ', NOW)).toBe(NOW * 1000);
    expect(parseTimeExpr('now-15m', NOW)).toBe((NOW - 15 * 60_000) * 1000);
    expect(parseTimeExpr('now-1h', NOW)).toBe((NOW - 3_600_000) * 1000);
    expect(parseTimeExpr('now-7d', NOW)).toBe((NOW - 7 * 86_400_000) * 1000);
    expect(parseTimeExpr('now+5m', NOW)).toBe((NOW + 5 * 60_000) * 1000);
    expect(parseTimeExpr('now-2w', NOW)).toBe((NOW - 14 * 86_400_000) * 1000);
    expect(parseTimeExpr('now-30s', NOW)).toBe((NOW - 30_000) * 1000);
    expect(parseTimeExpr('now/d', NOW)).toBe(us('2023-09-15T00:00:00Z'));
    expect(parseTimeExpr('now-1d/d', NOW)).toBe(us('2023-09-14T00:00:00Z'));
    expect(parseTimeExpr('now/h', NOW)).toBe(us('2023-09-15T10:00:00Z'));
  });

  it.each(['', 'yesterday', 'now-15', 'now-15x', 'now - 15m', 'now/w', '2023-13-01', 'NaN'])(
    'rejects %j',
    (text) => {
      expect(() => parseTimeExpr(text, NOW)).toThrow(/is not a time/);
    },
  );
});

describe('extractTimeBounds', () => {
  const bounds = (q: string) => extractTimeBounds(parseQuery(q), NOW);

  it('takes the window of a top-level timestamp range', () => {
    expect(bounds('timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]')).toEqual({
      from: us('2023-09-10T00:00:00Z'),
      to: us('2023-09-15T23:59:59Z'),
    });
    expect(bounds('timestamp:>=now-15m')).toEqual({ from: (NOW - 15 * 60_000) * 1000 });
  });

  it('turns exclusive bounds into inclusive ones a microsecond inside', () => {
    expect(bounds('timestamp:{2023-09-10 TO 2023-09-11}')).toEqual({
      from: us('2023-09-10T00:00:00Z') + 1,
      to: us('2023-09-11T00:00:00Z') - 1,
    });
  });

  it('intersects ranges that are ANDed, at any AND depth', () => {
    expect(
      bounds(
        'level:error AND (timestamp:>=2023-09-10 timestamp:<=2023-09-20) AND timestamp:[2023-09-12 TO *]',
      ),
    ).toEqual({ from: us('2023-09-12T00:00:00Z'), to: us('2023-09-20T00:00:00Z') });
  });

  it('uses an exact timestamp value as both ends', () => {
    const t = us('2023-09-15T08:00:00Z');
    expect(bounds('timestamp:"2023-09-15T08:00:00Z" timeout')).toEqual({ from: t, to: t });
  });

  it('ignores ranges under OR or NOT, and other fields', () => {
    expect(bounds('timestamp:>=2023-09-10 OR level:error')).toEqual({});
    expect(bounds('-timestamp:>=2023-09-10')).toEqual({});
    expect(bounds('NOT timestamp:[2023-09-10 TO 2023-09-11]')).toEqual({});
    expect(bounds('ts:>=2023-09-10 x:[1 TO 2]')).toEqual({});
    expect(bounds('*')).toEqual({});
  });
});
