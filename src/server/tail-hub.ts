import type { OutputRecord } from '../model/record.js';
import type { QueryNode } from '../query/ast.js';
import type { Store } from '../store/store.js';

export interface TailSubscriber {
  query: QueryNode;
  /** Highest id already sent to this subscriber. */
  lastId: string;
  send(records: OutputRecord[]): void;
}

/**
 * Live tail. Each time a batch lands in the store, every subscriber's query runs against just
 * the new id range (`Store.since`), so tail uses exactly the search semantics (and the store's
 * linear-time regex engine) and sees only durable records. Checks run one at a time, so a slow
 * subscriber query delays tail, never ingest.
 */
export class TailHub {
  private readonly subscribers = new Set<TailSubscriber>();
  private latestId = '0';
  private running: Promise<void> | null = null;
  private pending = false;

  constructor(
    private readonly store: Store,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The newest id known to be stored; new subscribers start after it. */
  get latest(): string {
    return this.latestId;
  }

  set latest(id: string) {
    if (BigInt(id) > BigInt(this.latestId)) this.latestId = id;
  }

  subscribe(sub: TailSubscriber): () => void {
    this.subscribers.add(sub);
    if (BigInt(sub.lastId) < BigInt(this.latestId)) this.batchLoaded(this.latestId); // resume (Last-Event-ID)
    return () => this.subscribers.delete(sub);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Called after each committed load with the highest id it stored. */
  batchLoaded(maxId: string): void {
    this.latest = maxId;
    if (this.subscribers.size === 0) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.deliver().finally(() => {
      this.running = null;
      if (this.pending) {
        this.pending = false;
        this.batchLoaded(this.latestId);
      }
    });
  }

  private async deliver(): Promise<void> {
    const upTo = this.latestId;
    for (const sub of [...this.subscribers]) {
      try {
        // Page through large bursts so one subscriber never pulls an unbounded result.
        while (BigInt(sub.lastId) < BigInt(upTo) && this.subscribers.has(sub)) {
          const records = await this.store.since(sub.query, sub.lastId, upTo, 1000);
          if (records.length === 0) {
            sub.lastId = upTo;
            break;
          }
          sub.lastId = records[records.length - 1]!.id;
          sub.send(records);
          if (records.length < 1000) {
            sub.lastId = upTo;
            break;
          }
        }
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
