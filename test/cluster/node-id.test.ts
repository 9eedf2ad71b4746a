import { describe, expect, it } from 'vitest';
import { NodeIdLease } from '../../src/cluster/node-id.js';
import { NODE_SLOTS } from '../../src/model/id.js';
import { useTestRedis } from '../helpers/services.js';

const testRedis = useTestRedis('the node-id lease tests');
const prefix = testRedis.name;

function lease(lastId = () => 0n, ttlMs = 30_000): NodeIdLease {
  return new NodeIdLease({
    redis: testRedis.redis!,
    prefix,
    ttlMs,
    lastId,
    onHeld: () => {},
    onError: () => {},
  });
}

describe('ingest node id lease', () => {
  it('gives concurrently starting nodes different slots', async (t) => {
    if (!testRedis.redis) return t.skip();
    const leases = Array.from({ length: 10 }, () => lease());
    const nodes = await Promise.all(leases.map((l) => l.acquire()));
    expect(new Set(nodes).size).toBe(10);
    await Promise.all(leases.map((l) => l.release()));
  });

  it('hands the next holder of a slot the highest id issued in it', async (t) => {
    if (!testRedis.redis) return t.skip();
    const first = lease(() => 123_456_789n);
    const node = await first.acquire();
    await first.release();
    // Take every slot, then free the released one again: the next lease must get it.
    const all = Array.from({ length: NODE_SLOTS }, () => lease());
    await Promise.all(all.map((l) => l.acquire()));
    const holder = all.find((l) => l.node === node)!;
    await holder.release();
    const others = all.filter((l) => l !== holder);
    const next = lease();
    expect(await next.acquire()).toBe(node);
    expect(next.previousLastId).toBe(123_456_789n);
    await expect(lease().acquire()).rejects.toThrow(/all 64 ingest node slots/);
    await Promise.all([...others, next].map((l) => l.release()));
  });
});
