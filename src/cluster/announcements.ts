import type { Redis } from 'ioredis';
import type { LoadBatch } from '../store/store.js';

/**
 * What a worker tells the cluster after a load committed, over Redis pub/sub: the id ranges of
 * the parts it applied (for live tail on every query node) and the UTC days they touched (whose
 * generation it bumps, so cached histograms and field summaries over those days are not reused).
 *
 * Pub/sub is at most once: a query node that is disconnected from Redis misses announcements,
 * and its tail subscribers miss those records (search still has them). Generations are counters
 * that outlive a disconnect, so the cache never serves a stale answer for a day a load touched.
 */
export interface LoadAnnouncement {
  /** [firstId, lastId] per applied part, inclusive, decimal. */
  ranges: Array<[string, string]>;
  /** `YYYYMMDD` of every day the parts' records fall in. */
  days: string[];
}

export function announcementChannel(name: string): string {
  return `${name}:loaded`;
}

export function generationKey(name: string, day: string): string {
  return `${name}:gen:${day}`;
}

/** Bumped by every retention sweep: it changes old days that no load touches. */
export function retentionGenerationKey(name: string): string {
  return `${name}:gen:retention`;
}

const DAY_MICROS = 86_400_000_000;

/** `YYYYMMDD` of each UTC day from `fromMicros` to `toMicros` (inclusive), at most `max` (newest kept). */
export function daysBetween(fromMicros: number, toMicros: number, max = 400): string[] {
  const first = Math.floor(fromMicros / DAY_MICROS);
  const last = Math.floor(toMicros / DAY_MICROS);
  const days: string[] = [];
  for (let d = Math.max(first, last - max + 1); d <= last; d++) {
    days.push(new Date(d * 86_400_000).toISOString().slice(0, 10).replaceAll('-', ''));
  }
  return days;
}

/** The announcement for the parts of `batch` whose keys the store applied; null when none. */
export function announcementFor(batch: LoadBatch, appliedKeys: readonly string[]): LoadAnnouncement | null {
  const applied = new Set(appliedKeys);
  const ranges: Array<[string, string]> = [];
  const days = new Set<string>();
  for (const part of batch.parts) {
    if (!applied.has(part.key) || !part.bounds) continue;
    ranges.push([part.bounds.firstId.toString(), part.bounds.lastId.toString()]);
    for (const d of daysBetween(part.bounds.minTs, part.bounds.maxTs)) days.add(d);
  }
  return ranges.length === 0 ? null : { ranges, days: [...days] };
}

/** Bump the generations of the announced days, then publish (generations first: see query-cache.ts). */
export async function announce(redis: Redis, name: string, a: LoadAnnouncement): Promise<void> {
  const multi = redis.multi();
  for (const day of a.days) multi.incr(generationKey(name, day));
  multi.publish(announcementChannel(name), JSON.stringify(a));
  await multi.exec();
}

/** Parse an announcement from the channel; null (ignored) when it is not one. */
export function parseAnnouncement(text: string): LoadAnnouncement | null {
  try {
    const a = JSON.parse(text) as LoadAnnouncement;
    const decimal = (v: unknown) => typeof v === 'string' && /^\d{1,20}$/.test(v);
    if (
      !Array.isArray(a.ranges) ||
      !a.ranges.every((r) => Array.isArray(r) && r.length === 2 && decimal(r[0]) && decimal(r[1])) ||
      !Array.isArray(a.days)
    )
      return null;
    return a;
  } catch {
    return null;
  }
}
