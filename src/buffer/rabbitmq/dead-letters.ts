import type { Channel, GetMessage, Options } from 'amqplib';
import { OverloadedError } from '../buffer.js';
import type { DeadLetter, DeadLetterAdmin } from '../dead-letters.js';
import { DEAD_HEADERS, H, headerString, truncate } from './message.js';
import { BrokerRefused, Session, sleep } from './session.js';
import { DEFAULT_QUEUE, DELIVERY_LIMIT, deadQueueName } from './topology.js';

export interface DeadLettersOptions {
  url: string;
  /** The main queue; its dead queue is `<queue>.dead`. Default `sawmill.ingest`. */
  queue?: string;
}

const PREVIEW_CHARS = 200;
/** Replayed messages in flight (published, not yet confirmed) at once. */
const REPLAY_WINDOW = 64;

/**
 * Look at, replay and drop dead letters. Reading is non-destructive: messages are fetched without
 * an ack and given back when the channel closes, so a crash in the middle of any operation leaves
 * the dead queue as it was (except for what was already replayed, confirmed and acked — or
 * dropped). While one operation holds messages, a concurrent one does not see them.
 */
export class DeadLetters implements DeadLetterAdmin {
  readonly queue: string;
  readonly deadQueue: string;
  private session: Session | null = null;

  constructor(private readonly opts: DeadLettersOptions) {
    this.queue = opts.queue ?? DEFAULT_QUEUE;
    this.deadQueue = deadQueueName(this.queue);
  }

  async count(): Promise<number> {
    const session = await this.connect();
    const ch = await session.conn.createChannel();
    ch.on('error', () => {});
    try {
      return (await ch.checkQueue(this.deadQueue)).messageCount;
    } catch (err) {
      if (isNotFound(err)) return 0; // no node has declared the queues yet: nothing is dead
      throw err;
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /**
   * Up to `limit` dead letters from the head of the dead queue, left in the queue, sorted by when
   * they failed last. (Looking at messages can reorder a quorum queue: what a list gave back goes
   * behind what an earlier list gave back, so "the head" is not a stable set between calls.)
   */
  async list(limit = 100): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    await this.withChannel((ch) =>
      this.scan(ch, limit, async (m) => {
        out.push(describe(m));
      }),
    );
    return out.sort(
      (a, b) => (a.lastFailureAt ?? '').localeCompare(b.lastFailureAt ?? '') || a.key.localeCompare(b.key),
    );
  }

  /**
   * Move those dead letters (all when `keys` is absent) back to the main queue with their failure
   * history removed (attempts start again at 0). Each is acked from the dead queue only after the
   * main queue confirmed its copy, so nothing is lost; a crash in between leaves both copies, and
   * the store loads the key once. Resolves with how many moved; rejects with 429 if the main queue
   * is full (what moved until then stays moved).
   */
  async replay(keys?: string[]): Promise<number> {
    const wanted = keys ? new Set(keys) : null;
    const session = await this.connect();
    let moved = 0;
    let refused: unknown = null;
    await this.withChannel(
      async (ch) => {
        const window = new Set<Promise<void>>();
        await this.scan(ch, Number.POSITIVE_INFINITY, async (m) => {
          if (refused) return false;
          if (wanted && !wanted.has(keyOf(m))) return;
          const p = session.publishConfirmed(this.queue, m.content, replayOptions(m)).then(
            () => {
              ch.ack(m);
              moved++;
            },
            (err: unknown) => {
              refused ??= err;
            },
          );
          const tracked = p.finally(() => window.delete(tracked));
          window.add(tracked);
          if (window.size >= REPLAY_WINDOW) await Promise.race(window);
        });
        await Promise.all(window);
      },
      () => moved,
    );
    if (refused instanceof BrokerRefused)
      throw new OverloadedError(
        `the main queue is full: replayed ${moved} dead letters, then stopped`,
        429,
        5,
      );
    if (refused) throw refused;
    return moved;
  }

  /** Delete those dead letters for good. Resolves with how many were deleted. */
  async drop(keys: string[]): Promise<number> {
    const wanted = new Set(keys);
    let dropped = 0;
    if (wanted.size === 0) return 0;
    await this.withChannel(
      (ch) =>
        this.scan(ch, Number.POSITIVE_INFINITY, async (m) => {
          if (!wanted.has(keyOf(m))) return;
          ch.ack(m);
          dropped++;
        }),
      () => dropped,
    );
    return dropped;
  }

  async close(): Promise<void> {
    await this.session?.close();
    this.session = null;
  }

  /**
   * Visit up to `limit` messages, each once: a fetched message stays unacked (held by this
   * channel) until the channel closes, so it cannot come round again. Runs until the queue has
   * nothing ready, with a cap so that messages dead-lettered while it runs cannot keep it going.
   * The visitor returns false to stop; it acks what it takes out of the queue.
   */
  private async scan(ch: Channel, limit: number, visit: (m: GetMessage) => Promise<unknown>): Promise<void> {
    const atStart = (await ch.checkQueue(this.deadQueue)).messageCount;
    const cap = Math.min(limit, atStart * 2 + 1000);
    for (let i = 0; i < cap; i++) {
      const m = await ch.get(this.deadQueue, { noAck: false });
      if (!m) return;
      if ((await visit(m)) === false) return;
    }
  }

  /**
   * Run on a fresh channel; closing it gives back every message fetched and not acked. A quorum
   * queue takes those back asynchronously, so wait (briefly, bounded) until its count shows them
   * again: a `list` followed at once by `replay`/`drop`/`count` then sees every message.
   * `taken()`: how many messages the operation removed from the queue.
   */
  private async withChannel(
    fn: (ch: Channel) => Promise<void>,
    taken: () => number = () => 0,
  ): Promise<void> {
    const session = await this.connect();
    const ch = await session.conn.createChannel();
    let failure: Error | null = null;
    ch.on('error', (err: Error) => {
      failure = err;
    });
    let before = 0;
    try {
      before = (await ch.checkQueue(this.deadQueue)).messageCount;
      await fn(ch);
      if (failure) throw failure;
    } catch (err) {
      if (isNotFound(err)) return; // no node has declared the queues yet: nothing is dead
      throw err;
    } finally {
      await ch.close().catch(() => {});
    }
    const expected = before - taken();
    const check = await session.conn.createChannel();
    check.on('error', () => {});
    try {
      for (let i = 0; i < 100; i++) {
        if ((await check.checkQueue(this.deadQueue)).messageCount >= expected) break;
        await sleep(20);
      }
    } finally {
      await check.close().catch(() => {});
    }
  }

  private async connect(): Promise<Session> {
    if (this.session && !this.session.dead) return this.session;
    this.session = await Session.open({ url: this.opts.url, heartbeatSeconds: 10, connectTimeoutMs: 5000 });
    return this.session;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 404;
}

function keyOf(m: GetMessage): string {
  const h = m.properties.headers as Record<string, unknown> | undefined;
  return (
    headerString(h, H.originalKey) ||
    (typeof m.properties.messageId === 'string' ? m.properties.messageId : '')
  );
}

function describe(m: GetMessage): DeadLetter {
  const h = (m.properties.headers ?? {}) as Record<string, unknown>;
  const records = Number(headerString(h, H.records));
  const firstLine = m.content.subarray(0, Math.min(m.content.length, PREVIEW_CHARS * 4)).toString('utf8');
  let reason = headerString(h, H.reason);
  let attempts = Number(headerString(h, H.attempts) ?? 0);
  let first = headerString(h, H.firstFailure);
  let last = headerString(h, H.lastFailure);
  if (reason === null) {
    // Dead-lettered by the broker (delivery limit): a worker kept dying while it held the message.
    const death = Array.isArray(h['x-death']) ? (h['x-death'][0] as Record<string, unknown>) : undefined;
    const why = headerString(death, 'reason') ?? headerString(h, 'x-first-death-reason') ?? 'unknown';
    reason =
      why === 'delivery_limit'
        ? `returned to the queue more than ${DELIVERY_LIMIT} times without an ack (its workers kept dying)`
        : `dead-lettered by the broker: ${why}`;
    attempts = Number(headerString(h, 'x-delivery-count') ?? DELIVERY_LIMIT);
    const time = death?.time;
    const at = time instanceof Date ? time.toISOString() : typeof time === 'number' ? isoSeconds(time) : null;
    first = at;
    last = at;
  }
  return {
    key: keyOf(m),
    records: Number.isSafeInteger(records) && records > 0 ? records : null,
    attempts: Number.isFinite(attempts) ? attempts : 0,
    reason,
    firstFailureAt: first,
    lastFailureAt: last,
    bytes: m.content.length,
    preview: truncate(firstLine.split('\n', 1)[0]!, PREVIEW_CHARS),
  };
}

function isoSeconds(s: number): string | null {
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The original message again: same key and record headers, no failure history. */
function replayOptions(m: GetMessage): Options.Publish {
  const p = m.properties;
  const headers: Record<string, unknown> = { ...(p.headers ?? {}) };
  for (const name of DEAD_HEADERS) delete headers[name];
  return {
    messageId: keyOf(m),
    persistent: true,
    mandatory: true,
    contentType: p.contentType ?? undefined,
    contentEncoding: p.contentEncoding ?? undefined,
    timestamp: p.timestamp ?? undefined,
    appId: 'sawmill',
    headers,
  };
}
