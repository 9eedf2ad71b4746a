import type { IdGenerator } from '../model/id.js';
import type { OutputRecord } from '../model/record.js';
import type { QueryNode } from '../query/ast.js';
import type { Store } from '../store/store.js';
import type { TailSource } from './context.js';

interface TailSubscriber {
  query: QueryNode;
  /** Highest id already sent to (or skipped for) this subscriber. */
  lastId: string;
  send(records: OutputRecord[]): void;
}

const PAGE = 1000;

/**
 * Live tail. Each time a batch lands in the store, every subscriber's query runs for the ids
 * after the last one it saw (`Store.since`), so tail has exactly the search semantics (and the
 * store's linear-time regex engine) and shows only durable records. Checks run one pass at a
 * time: a slow subscriber query delays tail, never ingest.
 */
export class TailHub implements TailSource {
  private readonly subscribers = new Set<TailSubscriber>();
  private running: Promise<void> | null = null;
  private pending = false;

  constructor(
    private readonly store: Store,
    /** Where a new subscriber starts: after the last id handed out, i.e. what is acknowledged from now on. */
    private readonly ids: IdGenerator,
    private readonly onError: (err: unknown) => void,
  ) {}

  subscribe(query: QueryNode, send: (records: OutputRecord[]) => void, resumeAfter?: string): () => void {
    const sub: TailSubscriber = { query, send, lastId: resumeAfter ?? this.ids.last().toString() };
    this.subscribers.add(sub);
    this.batchLoaded(); // a resuming client (Last-Event-ID) catches up at once
    return () => this.subscribers.delete(sub);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Called after each committed load. */
  batchLoaded(): void {
    if (this.subscribers.size === 0) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.deliver().finally(() => {
      this.running = null;
      if (this.pending) {
        this.pending = false;
        this.batchLoaded();
      }
    });
  }

  private async deliver(): Promise<void> {
    for (const sub of [...this.subscribers]) {
      try {
        // Page through bursts so one subscriber never pulls an unbounded result.
        for (;;) {
          const records = await this.store.since(sub.query, sub.lastId, PAGE);
          if (records.length === 0 || !this.subscribers.has(sub)) break;
          sub.lastId = records[records.length - 1]!.id;
          sub.send(records);
          if (records.length < PAGE) break;
        }
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
