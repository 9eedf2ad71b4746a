import { Redis } from 'ioredis';

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
