import type { Redis } from 'ioredis';
import type { OutputRecord } from '../model/record.js';
import type { QueryNode } from '../query/ast.js';
import type { TailSource } from '../server/context.js';
import type { Store } from '../store/store.js';
import { announcementChannel, type LoadAnnouncement, parseAnnouncement } from './announcements.js';

interface Subscriber {
  query: QueryNode;
  send(records: OutputRecord[]): void;
}

const PAGE = 1000;
/** Announcements waiting for a pass; beyond this, the oldest are dropped (tail is best effort, search is not). */
const MAX_PENDING_RANGES = 10_000;

/**
 * Live tail on a cluster query node. Workers load batches in any order, so there is no single
 * "last id seen": each worker announces the id ranges it just committed (announcements.ts), and
 * every subscriber's query runs over each announced range (`Store.since` with an upper bound).
 * Like embedded tail, it has the search semantics and shows only committed records.
 */
export class ClusterTailHub implements TailSource {
  private readonly subscribers = new Set<Subscriber>();
  private pending: Array<[string, string]> = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    /** A connection of its own: a subscribed ioredis client can do nothing else. */
    private readonly subscriber: Redis,
    private readonly name: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  async open(): Promise<void> {
    // While Redis is down ioredis reconnects (and resubscribes) by itself; without a listener each
    // failed attempt would be printed as an "Unhandled error event".
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', (_channel: string, text: string) => {
      const a = parseAnnouncement(text);
      if (a) this.announced(a);
    });
    await this.subscriber.subscribe(announcementChannel(this.name));
  }

  get size(): number {
    return this.subscribers.size;
  }

  subscribe(query: QueryNode, send: (records: OutputRecord[]) => void, resumeAfter?: string): () => void {
    const sub: Subscriber = { query, send };
    this.subscribers.add(sub);
    // A reconnecting client: what matched after its last event, loaded by any worker since.
    if (resumeAfter !== undefined) void this.deliver(sub, resumeAfter);
    return () => this.subscribers.delete(sub);
  }

  private announced(a: LoadAnnouncement): void {
    if (this.subscribers.size === 0) return;
    this.pending.push(...a.ranges);
    if (this.pending.length > MAX_PENDING_RANGES)
      this.pending.splice(0, this.pending.length - MAX_PENDING_RANGES);
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = null;
      });
    }
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const ranges = this.pending;
      this.pending = [];
      for (const sub of [...this.subscribers]) {
        for (const [first, last] of ranges) await this.deliver(sub, (BigInt(first) - 1n).toString(), last);
      }
    }
  }

  /** The subscriber's matches with ids after `after` (and up to `last`, when given), paged. */
  private async deliver(sub: Subscriber, after: string, last?: string): Promise<void> {
    try {
      // Page through a big batch so one subscriber never pulls an unbounded result.
      for (;;) {
        const records = await this.store.since(sub.query, after, PAGE, last);
        if (records.length === 0 || !this.subscribers.has(sub)) return;
        sub.send(records);
        if (records.length < PAGE) return;
        after = records[records.length - 1]!.id;
      }
    } catch (err) {
      this.onError(err);
    }
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    await this.running;
    this.subscriber.disconnect();
  }
}
