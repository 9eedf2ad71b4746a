import { describe, expect, it } from 'vitest';
import { IdGenerator, idTimeMs } from './id.js';

describe('IdGenerator', () => {
  it('issues increasing ids that encode the receive time', () => {
    let now = 1_700_000_000_000;
    const g = new IdGenerator(() => now);
    const a = g.reserve(3);
    const b = g.reserve(1);
    expect(b).toBe(a + 3n);
    expect(idTimeMs(a)).toBe(now);
    now += 5;
    expect(idTimeMs(g.reserve(1))).toBe(now);
  });

  it('never goes backwards when the clock does, or past a huge reservation', () => {
    let now = 1_700_000_000_000;
    const g = new IdGenerator(() => now);
    const big = g.reserve(3_000_000); // spills over three milliseconds of sequence space
    now -= 1000;
    expect(g.reserve(1)).toBe(big + 3_000_000n);
  });

  it('is seeded past ids already stored', () => {
    const g = new IdGenerator(() => 1);
    g.advancePast(1_000_000_000_000n);
    expect(g.reserve(1)).toBeGreaterThan(1_000_000_000_000n);
    expect(g.last()).toBeGreaterThan(1_000_000_000_000n);
  });
});
