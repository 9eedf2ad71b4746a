import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisQueryCache } from '../../src/cache/redis-query-cache.js';
import { announce, daysBetween, retentionGenerationKey } from '../../src/cluster/announcements.js';
import { Metrics } from '../../src/metrics.js';
import { parseQuery } from '../../src/query/parse.js';
import { useTestRedis } from '../helpers/services.js';

const testRedis = useTestRedis('the query cache tests');
const name = testRedis.name;

const DAY = 86_400_000_000;
const from = Date.parse('2023-09-10T00:00:00Z') * 1000;
const to = from + 3 * DAY - 1;

/** A cache plus a computation that counts how often it really ran. */
function setup(client: Redis = testRedis.redis!) {
  const metrics = new Metrics();
  const cache = new RedisQueryCache({ redis: client, name, metrics, onError: () => {} });
  let runs = 0;
  const compute = async () => ({ answer: ++runs });
  const lookup = (query = 'level:error', span: { from?: number; to?: number } = { from, to }) => {
    const s = { query: parseQuery(query), ...span };
    return cache.get('histogram', s, { q: query, ...span }, compute);
  };
  return { lookup, runs: () => runs };
}

describe('query cache (Redis)', () => {
  it('answers a closed range from the cache until a load touches one of its days', async (t) => {
    if (!testRedis.redis) return t.skip();
    const c = setup();
    expect(await c.lookup()).toEqual({ answer: 1 });
    expect(await c.lookup()).toEqual({ answer: 1 });
    expect(c.runs()).toBe(1);
    // A load of records from the second day bumps that day's generation.
    await announce(testRedis.redis, name, {
      ranges: [['1', '2']],
      days: daysBetween(from + DAY, from + DAY),
    });
    expect(await c.lookup()).toEqual({ answer: 2 });
    // A load outside the range changes nothing for it.
    await announce(testRedis.redis, name, {
      ranges: [['3', '4']],
      days: daysBetween(to + 5 * DAY, to + 5 * DAY),
    });
    expect(await c.lookup()).toEqual({ answer: 2 });
    // Retention removes old days that no load touches: every entry is recomputed.
    await testRedis.redis.incr(retentionGenerationKey(name));
    expect(await c.lookup()).toEqual({ answer: 3 });
  });

  it('keeps answers of different queries and ranges apart', async (t) => {
    if (!testRedis.redis) return t.skip();
    const c = setup();
    await c.lookup('level:fatal');
    await c.lookup('level:warn');
    await c.lookup('level:fatal', { from, to: to - DAY });
    await c.lookup('level:fatal');
    expect(c.runs()).toBe(3);
  });

  it('never caches open ranges, ranges ending in the future, or relative times', async (t) => {
    if (!testRedis.redis) return t.skip();
    const c = setup();
    const now = Date.now() * 1000;
    await c.lookup('level:error', { from });
    await c.lookup('level:error', { from });
    await c.lookup('level:error', { from: now - DAY, to: now + DAY });
    await c.lookup('level:error', { from: now - DAY, to: now + DAY });
    await c.lookup('timestamp:>=now-15m', { from, to });
    await c.lookup('timestamp:>=now-15m', { from, to });
    expect(c.runs()).toBe(6);
  });

  it('computes the answer when Redis is unreachable', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    const c = setup(down);
    expect(await c.lookup()).toEqual({ answer: 1 });
    expect(await c.lookup()).toEqual({ answer: 2 });
    down.disconnect();
  });
});

describe('days of a load', () => {
  it('lists every UTC day a time span touches', () => {
    expect(daysBetween(from - 1, from + DAY)).toEqual(['20230909', '20230910', '20230911']);
    expect(daysBetween(from, from)).toEqual(['20230910']);
  });
});
