import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import type { LoadBatch, LoadPart } from '../../store/store.js';
import { type Decoded, decodeMessage, H, truncate } from './message.js';
import { type Session, SessionLost, sleep } from './session.js';
import { deadQueueName } from './topology.js';

/**
 * The worker side: messages prefetched from the queue are gathered into one LoadBatch (one part
 * per message) and handed to `deliver`; every message of the batch is acked only after `deliver`
 * resolved, i.e. after the store committed the rows and the parts' keys. A worker killed at any
 * moment therefore leaves its unacked messages to the broker, which redelivers them; the keys
 * make the second load insert nothing.
 *
 * Failures: a transient one (the store is down) retries the same batch with backoff, without
 * counting attempts. Any other failure of a batch (or the third transient one in a row) retries its
 * messages one by one, so a single poison message cannot take its healthy neighbours with it. Each
 * failure of a message on its own counts one attempt — a transient-looking one only once another
 * message was loaded in between (a probe), proving the store is up — and after `maxAttempts` the
 * message is published to the dead queue (confirmed) and only then acked. Attempts are counted in
 * this worker's memory while it holds the message (the message is never returned to the queue in
 * between): a worker that dies forgets them, and the broker's delivery limit (topology.ts)
 * backstops a message that kills its worker.
 */
export interface ConsumerOptions {
  queue: string;
  prefetch: number;
  maxHeldBytes: number;
  maxAttempts: number;
  maxBatchRecords: number;
  lingerMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  isTransient: (err: unknown) => boolean;
  onError: (err: unknown) => void;
}

interface Item {
  msg: ConsumeMessage;
  ch: Channel;
  session: Session;
  decoded: Decoded;
  records: number;
  failures: number;
  firstFailure: number;
  lastFailure: number;
  lastReason: string;
}

type Deliver = (batch: LoadBatch) => Promise<void>;

/** The consumer on the current session's channel; `tag` is null while cancelled (paused). */
interface Current {
  ch: Channel;
  tag: string | null;
  session: Session;
  /** Prefetch window of the running consumer. */
  window: number;
  /** A cancel or consume is in flight. */
  switching: boolean;
}

/** Prefetch window until the first message shows how large messages are. */
const INITIAL_WINDOW = 16;

/** Transient failures of a multi-message batch before its messages are tried one by one. */
const SPLIT_AFTER_TRANSIENT = 3;
/** Transient failures of a message on its own before another message is tried as a probe. */
const PROBE_AFTER_TRANSIENT = 3;

export class Consumer {
  private ready: Item[] = [];
  private readyRecords = 0;
  /** Bytes of messages received and not yet acked (or given back). */
  heldBytes = 0;
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private wake: (() => void) | null = null;
  private current: Current | null = null;
  private maxSeenBytes = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly opts: ConsumerOptions,
    private readonly deliver: Deliver,
    /** The node's publishing session, for dead letters (null or dead while it reconnects). */
    private readonly publisher: () => Session | null,
  ) {
    this.done = this.loop();
  }

  /** Start consuming on a (new) session. */
  async attach(session: Session): Promise<void> {
    if (this.stopping) return;
    const ch = await session.conn.createChannel();
    const cur: Current = { ch, tag: null, session, window: 0, switching: true };
    this.current = cur;
    ch.on('error', (err: Error) => session.kill(err));
    ch.on('close', () => {
      if (!this.stopping) session.kill(new Error('consumer channel closed'));
    });
    await this.consume(cur);
    cur.switching = false;
    this.flow();
  }

  /**
   * The prefetch window, in messages (RabbitMQ has no window in bytes): as many of the largest
   * message seen so far as fit in maxHeldBytes; a few until a message was seen.
   */
  private window(): number {
    if (this.maxSeenBytes === 0) return Math.min(this.opts.prefetch, INITIAL_WINDOW);
    const fit = Math.floor(this.opts.maxHeldBytes / this.maxSeenBytes);
    return Math.max(1, Math.min(this.opts.prefetch, fit));
  }

  private async consume(cur: Current): Promise<void> {
    const window = this.window();
    await cur.ch.prefetch(window); // applies to consumers started after it
    if (this.stopping || cur.session.dead) return;
    const { consumerTag } = await cur.ch.consume(
      this.opts.queue,
      (msg) => {
        // null: the broker cancelled us (queue deleted); a new session declares it again.
        if (msg === null)
          cur.session.kill(new Error(`consumer of ${this.opts.queue} cancelled by the broker`));
        else this.receive(msg, cur.ch, cur.session);
      },
      { noAck: false },
    );
    cur.window = window;
    cur.tag = consumerTag;
  }

  /**
   * Memory bound. Past maxHeldBytes, cancel the consumer (what is held stays ours and ackable);
   * at half of it, consume again. Also restart it when the window no longer fits the messages
   * seen (it starts small, grows once messages turn out small, shrinks if larger ones come).
   */
  private flow(): void {
    const cur = this.current;
    if (!cur || cur.switching || cur.session.dead || this.stopping) return;
    const kill = (err: unknown) => cur.session.kill(err instanceof Error ? err : new Error(String(err)));
    if (cur.tag) {
      const want = this.window();
      if (this.heldBytes > this.opts.maxHeldBytes || want >= cur.window * 2 || want * 2 <= cur.window) {
        const tag = cur.tag;
        cur.tag = null;
        cur.switching = true;
        cur.ch.cancel(tag).then(() => {
          cur.switching = false;
          this.flow();
        }, kill);
      }
    } else if (this.heldBytes <= this.opts.maxHeldBytes / 2) {
      cur.switching = true;
      this.consume(cur).then(() => {
        cur.switching = false;
        this.flow();
      }, kill);
    }
  }

  private receive(msg: ConsumeMessage, ch: Channel, session: Session): void {
    const decoded = decodeMessage(msg);
    const records = decoded.ok ? decoded.records : 0;
    this.ready.push({
      msg,
      ch,
      session,
      decoded,
      records,
      failures: 0,
      firstFailure: 0,
      lastFailure: 0,
      lastReason: '',
    });
    this.readyRecords += records;
    this.heldBytes += msg.content.length;
    if (msg.content.length > this.maxSeenBytes) this.maxSeenBytes = msg.content.length;
    this.flow();
    this.wake?.();
  }

  /** Stop consuming, finish the delivery in flight; unacked messages go back to the queue. */
  async stop(): Promise<void> {
    if (this.stopping) return this.done;
    this.stopping = true;
    const cur = this.current;
    if (cur?.tag && !cur.session.dead) {
      await Promise.race([cur.ch.cancel(cur.tag).catch(() => {}), sleep(2000)]);
    }
    this.stopSignal.abort();
    this.wake?.();
    await this.done;
    // What was prefetched but not delivered returns to the queue when the channel closes.
    if (cur && !cur.session.dead) await Promise.race([cur.ch.close().catch(() => {}), sleep(2000)]);
    for (const item of this.ready) this.release(item);
    this.ready = [];
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.pruneDead();
      if (this.stopping) return;
      if (this.ready.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      // Gather what is available now; a short linger lets a burst in flight join the batch (not
      // when the prefetch window is full or the consumer paused: nothing more comes until we ack).
      const window = this.current?.tag ? this.current.window : 0;
      if (
        this.readyRecords < this.opts.maxBatchRecords &&
        this.ready.length < window &&
        this.opts.lingerMs > 0
      ) {
        await sleep(this.opts.lingerMs, this.stopSignal.signal);
        this.pruneDead();
        if (this.stopping || this.ready.length === 0) continue;
      }
      const batch: Item[] = [];
      let records = 0;
      while (this.ready.length > 0) {
        const item = this.ready[0]!;
        if (batch.length > 0 && records + item.records > this.opts.maxBatchRecords) break;
        this.ready.shift();
        this.readyRecords -= item.records;
        if (!item.decoded.ok) {
          await this.deadLetter(item, item.decoded.reason, 0);
          continue;
        }
        batch.push(item);
        records += item.records;
      }
      if (batch.length > 0) await this.deliverBatch(batch);
    }
  }

  private async deliverBatch(batch: Item[]): Promise<void> {
    let backoff = this.opts.retryBaseMs;
    let failure: unknown = null;
    let transientFailures = 0;
    for (;;) {
      const live = batch.filter((i) => this.alive(i));
      if (live.length !== batch.length) {
        for (const i of batch) if (!live.includes(i)) this.release(i);
        batch = live;
      }
      if (batch.length === 0) return;
      try {
        await this.deliver({ parts: batch.map((i) => part(i)) });
        for (const i of batch) this.ack(i);
        return;
      } catch (err) {
        this.opts.onError(err);
        failure = err;
        if (!this.opts.isTransient(err)) break;
        // A batch failing "transiently" again and again may fail because of its size or one of
        // its messages (statement timeout, out of memory): then look at its messages one by one.
        if (batch.length > 1 && ++transientFailures >= SPLIT_AFTER_TRANSIENT) break;
        await sleep(backoff, this.stopSignal.signal);
        backoff = Math.min(backoff * 2, this.opts.retryMaxMs);
      }
    }
    // Find the message(s) at fault by delivering them one at a time; only a failure of a message
    // on its own counts against it.
    if (batch.length === 1 && !this.opts.isTransient(failure)) this.recordFailure(batch[0]!, failure);
    const rest = [...batch];
    while (rest.length > 0) await this.deliverOne(rest.shift()!, rest);
  }

  private async deliverOne(item: Item, rest: Item[]): Promise<void> {
    let transientBackoff = this.opts.retryBaseMs;
    let transients = 0;
    for (;;) {
      if (!this.alive(item)) {
        this.release(item);
        return;
      }
      if (item.failures > 0) {
        if (item.failures >= this.opts.maxAttempts) {
          await this.deadLetter(item, item.lastReason, item.failures);
          return;
        }
        await sleep(this.retryDelay(item.failures), this.stopSignal.signal);
        if (!this.alive(item)) continue;
      }
      try {
        await this.deliver({ parts: [part(item)] });
        this.ack(item);
        return;
      } catch (err) {
        this.opts.onError(err);
        if (!this.opts.isTransient(err)) {
          this.recordFailure(item, err);
          continue;
        }
        // "The store is unavailable" — unless it loads another message meanwhile: then this
        // failure is the message's own (e.g. it times out every time) and counts as an attempt.
        if (++transients >= PROBE_AFTER_TRANSIENT && (await this.probe(rest))) {
          this.recordFailure(item, err);
          transients = 0;
          continue;
        }
        await sleep(transientBackoff, this.stopSignal.signal);
        transientBackoff = Math.min(transientBackoff * 2, this.opts.retryMaxMs);
      }
    }
  }

  /** Deliver one other message (of the same batch, else the next waiting one) alone: did the store take it? */
  private async probe(rest: Item[]): Promise<boolean> {
    let from = rest;
    let at = rest.findIndex((i) => this.alive(i));
    if (at < 0) {
      from = this.ready;
      at = this.ready.findIndex((i) => i.decoded.ok && this.alive(i));
    }
    if (at < 0) return false;
    const [probe] = from.splice(at, 1);
    if (from === this.ready) this.readyRecords -= probe!.records;
    try {
      await this.deliver({ parts: [part(probe!)] });
      this.ack(probe!);
      return true;
    } catch (err) {
      this.opts.onError(err);
      // Put it back where it was; it gets its own turn (and its own attempts) later.
      from.splice(at, 0, probe!);
      if (from === this.ready) this.readyRecords += probe!.records;
      return false;
    }
  }

  private recordFailure(item: Item, err: unknown): void {
    const now = Date.now();
    item.failures++;
    if (item.firstFailure === 0) item.firstFailure = now;
    item.lastFailure = now;
    item.lastReason = truncate(err instanceof Error ? err.message : String(err), 1000);
  }

  private retryDelay(failures: number): number {
    return Math.min(this.opts.retryBaseMs * 2 ** (failures - 1), this.opts.retryMaxMs);
  }

  /**
   * Publish a copy to the dead queue, wait for its confirm, then ack the original: a crash in
   * between leaves the original in the queue (and at worst a duplicate dead letter, harmless: a
   * replay loads a key once). If the dead queue refuses (full), keep retrying: never drop.
   */
  private async deadLetter(item: Item, reason: string, attempts: number): Promise<void> {
    const now = Date.now();
    const p = item.msg.properties;
    const key = typeof p.messageId === 'string' && p.messageId.length > 0 ? p.messageId : null;
    const original = (p.headers ?? {}) as Record<string, unknown>;
    const failure = {
      [H.reason]: reason,
      [H.attempts]: attempts,
      [H.firstFailure]: new Date(item.firstFailure || now).toISOString(),
      [H.lastFailure]: new Date(item.lastFailure || now).toISOString(),
      [H.originalKey]: key ?? '',
    };
    // A message that came without a key gets one here, so an operator can replay or drop it.
    const deadKey = key ?? `unkeyed-${randomUUID()}`;
    const options = (headers: Record<string, unknown>): Options.Publish => ({
      messageId: deadKey,
      persistent: true,
      mandatory: true,
      contentType: typeof p.contentType === 'string' ? p.contentType : undefined,
      contentEncoding: typeof p.contentEncoding === 'string' ? p.contentEncoding : undefined,
      timestamp: typeof p.timestamp === 'number' ? p.timestamp : undefined,
      appId: 'sawmill',
      headers,
    });
    let backoff = this.opts.retryBaseMs;
    let headers: Record<string, unknown> = { ...original, ...failure };
    for (;;) {
      if (!this.alive(item)) {
        this.release(item);
        return;
      }
      try {
        const pub = this.publisher();
        if (!pub || pub.dead) throw new SessionLost('the publishing connection is down');
        await pub.publishConfirmed(deadQueueName(this.opts.queue), item.msg.content, options(headers));
        this.ack(item);
        return;
      } catch (err) {
        this.opts.onError(err);
        // Headers a malformed message brought along may not encode (too large): keep only ours.
        if (err instanceof RangeError || err instanceof TypeError) headers = failure;
        await sleep(backoff, this.stopSignal.signal);
        backoff = Math.min(backoff * 2, this.opts.retryMaxMs);
      }
    }
  }

  private alive(item: Item): boolean {
    return !item.session.dead && !this.stopping;
  }

  private ack(item: Item): void {
    // After a lost session the ack cannot be sent: the broker redelivers, the keys dedupe.
    if (!item.session.dead) {
      try {
        item.ch.ack(item.msg);
      } catch (err) {
        this.opts.onError(err);
      }
    }
    this.heldBytes -= item.msg.content.length;
    this.flow();
  }

  /** Let go of a message without acking it: the broker gives it to a consumer again. */
  private release(item: Item): void {
    this.heldBytes -= item.msg.content.length;
    this.flow();
  }

  private pruneDead(): void {
    if (!this.ready.some((i) => i.session.dead)) return;
    const keep: Item[] = [];
    for (const i of this.ready) {
      if (i.session.dead) {
        this.readyRecords -= i.records;
        this.release(i);
      } else keep.push(i);
    }
    this.ready = keep;
  }
}

function part(item: Item): LoadPart {
  if (!item.decoded.ok) throw new Error('unreachable: malformed messages are dead-lettered before delivery');
  return item.decoded.part;
}
