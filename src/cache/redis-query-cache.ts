import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { daysBetween, generationKey, retentionGenerationKey } from '../cluster/announcements.js';
import type { Metrics } from '../metrics.js';
import type { QueryNode } from '../query/ast.js';
import { hasRelativeTime, type QueryCache } from './query-cache.js';

export interface RedisQueryCacheOptions {
  redis: Redis;
  /** The cluster name: keys are `<name>:cache:…` and `<name>:gen:…`. */
  name: string;
  metrics: Metrics;
  /** A bound on how long an entry can outlive a missed invalidation (a worker killed between commit and bump). */
  ttlSeconds?: number;
  onError: (err: unknown) => void;
}

/** Answers above this size are not cached (a field summary of huge values, say). */
const MAX_ENTRY_BYTES = 1024 * 1024;
/** A range of more days than this is not cached: its key would need a generation per day. */
const MAX_DAYS = 400;

/**
 * The cluster's shared query cache. An entry is valid for exactly the data it was computed from:
 * its key includes the generation of every UTC day in the range (workers bump a day's generation
 * after each load that touched it, announcements.ts) and the retention generation. Generations are
 * read *before* computing, so an entry may hold more than its generations say, never less. Only
 * closed ranges are cached (a range ending now changes with every load anyway), and never a query
 * with relative times, whose meaning moves with the clock.
 */
export class RedisQueryCache implements QueryCache {
  private readonly ttl: number;

  constructor(private readonly o: RedisQueryCacheOptions) {
    this.ttl = o.ttlSeconds ?? 600;
  }

  async get<T>(
    endpoint: string,
    span: { query: QueryNode; from?: number; to?: number },
    key: unknown,
    compute: () => Promise<T>,
  ): Promise<T> {
    const { from, to } = span;
    const closed =
      from !== undefined &&
      to !== undefined &&
      to < Date.now() * 1000 &&
      to - from < MAX_DAYS * 86_400_000_000 &&
      !hasRelativeTime(span.query);
    if (!closed) return this.skip(endpoint, compute);
    const { redis, name } = this.o;
    let entryKey: string;
    try {
      const gens = await redis.mget(
        retentionGenerationKey(name),
        ...daysBetween(from, to, MAX_DAYS).map((d) => generationKey(name, d)),
      );
      const digest = createHash('sha256')
        .update(JSON.stringify([endpoint, key, gens]))
        .digest('base64url');
      entryKey = `${name}:cache:${endpoint}:${digest}`;
      const hit = await redis.get(entryKey);
      if (hit !== null) {
        this.o.metrics.cacheLookups.inc({ endpoint, result: 'hit' });
        return JSON.parse(hit) as T;
      }
    } catch (err) {
      this.o.onError(err);
      return this.skip(endpoint, compute);
    }
    this.o.metrics.cacheLookups.inc({ endpoint, result: 'miss' });
    const value = await compute();
    const text = JSON.stringify(value);
    if (text.length <= MAX_ENTRY_BYTES) {
      redis.set(entryKey, text, 'EX', this.ttl).catch((err: unknown) => this.o.onError(err));
    }
    return value;
  }

  private skip<T>(endpoint: string, compute: () => Promise<T>): Promise<T> {
    this.o.metrics.cacheLookups.inc({ endpoint, result: 'skip' });
    return compute();
  }
}
