import { describe, expect, it } from 'vitest';
import { compareUtf8 } from './blocks.js';

/** Strings drawn from the ranges where UTF-16 and UTF-8 order part ways (and ASCII around them). */
function randomString(r: () => number): string {
  const pools = [
    [0x61, 0x7a],
    [0xd7f0, 0xd7ff],
    [0xe000, 0xe010],
    [0xfff0, 0xffff],
    [0x10000, 0x10010],
    [0x1f600, 0x1f610],
  ] as const;
  let s = '';
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const [lo, hi] = pools[Math.floor(r() * pools.length)]!;
    s += String.fromCodePoint(lo + Math.floor(r() * (hi - lo + 1)));
  }
  return s;
}

describe('compareUtf8', () => {
  it('orders strings as DuckDB orders VARCHAR: by their UTF-8 bytes', () => {
    let seed = 7;
    const r = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      const a = randomString(r);
      const b = randomString(r);
      expect(Math.sign(compareUtf8(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
        Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
    }
  });

  it('puts a character above U+FFFF after U+E000–U+FFFF, where UTF-16 code units put it before', () => {
    expect('\u{1F600}' < '\uFFFD').toBe(true);
    expect(compareUtf8('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(compareUtf8('server-1', 'server-10')).toBeLessThan(0);
    expect(compareUtf8('abc', 'abc')).toBe(0);
  });
});
