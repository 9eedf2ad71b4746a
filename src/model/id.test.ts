import { describe, expect, it } from 'vitest';
import { IdGenerator, idTimeMs, NODE_SLOTS } from './id.js';

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

describe('IdGenerator of a cluster ingest node', () => {
  it('issues ids only in the milliseconds its slot owns, so nodes never collide', () => {
    let now = 1_700_000_000_000;
    const a = new IdGenerator(() => now, 3);
    const b = new IdGenerator(() => now, 4);
    const seen = new Set<bigint>();
    for (let i = 0; i < 300; i++) {
      now += i % 7; // several reservations per millisecond, some milliseconds skipped
      for (const g of [a, b]) {
        const count = 1 + (i % 5) * 1000;
        const first = g.reserve(count);
        expect(idTimeMs(first) % NODE_SLOTS).toBe(g.node);
        expect(idTimeMs(first + BigInt(count - 1))).toBe(idTimeMs(first)); // one contiguous range
        expect(idTimeMs(first)).toBeGreaterThanOrEqual(now);
        expect(idTimeMs(first)).toBeLessThan(now + NODE_SLOTS + NODE_SLOTS);
        for (const id of new Set([first, first + BigInt(count - 1)])) {
          expect(seen.has(id)).toBe(false);
          seen.add(id);
        }
      }
    }
  });

  it('moves to its next millisecond when the current one is full, and never goes backwards', () => {
    let now = 1_700_000_000_000;
    const g = new IdGenerator(() => now, 0);
    const first = g.reserve(1_000_000);
    const second = g.reserve(100_000); // does not fit in the rest of that millisecond
    expect(idTimeMs(second)).toBe(idTimeMs(first) + NODE_SLOTS);
    now -= 10_000;
    expect(g.reserve(1)).toBe(second + 100_000n);
  });

  it('refuses a reservation larger than one millisecond and a node id outside the slots', () => {
    expect(() => new IdGenerator(Date.now, 0).reserve(2_000_000)).toThrow(/at most 1048576/);
    expect(() => new IdGenerator(Date.now, NODE_SLOTS)).toThrow(/node id/);
  });
});
