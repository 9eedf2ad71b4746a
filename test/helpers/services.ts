import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

export const CI = process.env.CI === 'true';
export const REDIS_URL = process.env.SAWMILL_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/**
 * A test that needs a real service: under CI=true its absence is a failure; on a laptop without
 * it, the test is skipped with a message nobody can miss.
 */
export function serviceMissing(service: string, what: string, err: unknown): void {
  const reason = (err as Error).message ?? String(err);
  if (CI) throw new Error(`CI=true and ${service} is not reachable: ${reason}`);
  console.warn(`\n\n  !!! ${service} not reachable (${reason}): ${what} are SKIPPED !!!\n\n`);
}

/** A connected Redis client, or null (after the warning) when Redis is not there outside CI. */
export async function connectRedis(what: string): Promise<Redis | null> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await r.connect();
    return r;
  } catch (err) {
    r.disconnect();
    serviceMissing(`Redis at ${REDIS_URL}`, what, err);
    return null;
  }
}

/**
 * Redis for a test file: connected before its tests (null outside CI when Redis is not there),
 * and a `name` unique to the run that prefixes every key the file writes, removed afterwards.
 */
export function useTestRedis(what: string): { readonly redis: Redis | null; readonly name: string } {
  const name = `sawmill-test-${randomBytes(4).toString('hex')}`;
  let redis: Redis | null = null;
  beforeAll(async () => {
    redis = await connectRedis(what);
  });
  afterAll(async () => {
    if (!redis) return;
    const keys = await redis.keys(`${name}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return {
    get redis() {
      return redis;
    },
    name,
  };
}
