import { randomBytes } from 'node:crypto';
import type { LoadBatch, PartBounds } from '../../store/store.js';
import { type IngestBuffer, OverloadedError } from '../buffer.js';
import { Consumer } from './consumer.js';
import { Link } from './link.js';
import { encodeBody, publishOptions } from './message.js';
import { BrokerRefused, redactUrl, type Session, SessionLost, sleep, Unroutable } from './session.js';
import { DEFAULT_MAX_QUEUE_BYTES, DEFAULT_QUEUE } from './topology.js';
import { isTransientError } from './transient.js';

export interface RabbitMqBufferOptions {
  /** amqp://user:pass@host:port/vhost */
  url: string;
  /** Main queue; the dead-letter queue is `<queue>.dead`. Default `sawmill.ingest`. */
  queue?: string;
  /** Broker-side limit of each queue (`x-max-length-bytes`); beyond it publishes get 429. Default 4 GiB. */
  maxQueueBytes?: number;
  /** Worker: messages the broker may hand over before they are acked (memory ≈ prefetch × message size). Default 200. */
  prefetch?: number;
  /**
   * Worker: bytes of messages held (prefetched, loading) past which it stops taking more, and which
   * sizes the prefetch window (RabbitMQ counts it in messages only). Default 256 MiB.
   */
  maxHeldBytes?: number;
  /** Worker: failures of a message, delivered on its own, before it is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** Worker: most records in one store load (a message larger than this is loaded alone). Default 20,000. */
  maxBatchRecords?: number;
  /** Ingest: most message bytes published and not yet confirmed; beyond it appends get 429. Default 64 MiB. */
  maxUnconfirmedBytes?: number;
  /** Worker: how long to wait for more messages once one is there. Default 5 ms. */
  lingerMs?: number;
  /** A publish not confirmed this long kills the connection (its appends reject with 503). Default 30 s. */
  confirmTimeoutMs?: number;
  /** How long `open` keeps trying to reach the broker. Default 10 s. */
  openTimeoutMs?: number;
  /** AMQP heartbeat: a silent broker is noticed after two missed beats. Default 10 s. */
  heartbeatSeconds?: number;
  /** First retry delay of a failed delivery (doubles up to retryMaxMs). Defaults 200 ms, 10 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Which delivery failures mean "store unavailable" (retried forever, not counted). Default: transient.ts. */
  isTransient?: (err: unknown) => boolean;
  onError: (err: unknown) => void;
}

/**
 * Cluster mode's IngestBuffer on RabbitMQ. Ingest nodes call `append` (publish + confirm), worker
 * nodes call `startDelivery` (consume → store.load → ack); both construct this class.
 *
 * `append` resolves only when the broker confirmed the message, which for a persistent message on
 * a quorum queue means it is written (fsync'd) by the queue: that is what a 2xx reply promises.
 * It never waits in memory for a broker that is not there: while disconnected it fails at once
 * with 503, the connection is re-established in the background with backoff.
 */
export class RabbitMqBuffer implements IngestBuffer {
  readonly queue: string;
  private readonly token = randomBytes(8).toString('hex');
  private seq = 0;
  /** Publishing connection: appends, and a worker's dead letters. */
  private readonly pub: Link;
  /**
   * A worker's consuming connection, separate from the publishing one as RabbitMQ advises: when
   * the broker blocks publishers (memory or disk alarm) it stops reading their connections, which
   * would also stop this node's acks — and without acks the queue cannot drain the alarm away.
   */
  private sub: Link | null = null;
  private opened = false;
  private closing = false;
  private closed: Promise<void> | null = null;
  private unconfirmedBytes = 0;
  /** In-flight appends, oldest first (Map keeps insertion order): for the confirm timeout and close. */
  private readonly inflight = new Map<string, { at: number; session: Session; done: Promise<unknown> }>();
  private timer: NodeJS.Timeout | null = null;
  private consumer: Consumer | null = null;
  private readonly o: Required<Omit<RabbitMqBufferOptions, 'url' | 'onError'>>;

  constructor(private readonly opts: RabbitMqBufferOptions) {
    this.queue = opts.queue ?? DEFAULT_QUEUE;
    this.o = {
      queue: this.queue,
      maxQueueBytes: opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES,
      prefetch: opts.prefetch ?? 200,
      maxHeldBytes: opts.maxHeldBytes ?? 256 * 1024 * 1024,
      maxAttempts: opts.maxAttempts ?? 5,
      maxBatchRecords: opts.maxBatchRecords ?? 20_000,
      maxUnconfirmedBytes: opts.maxUnconfirmedBytes ?? 64 * 1024 * 1024,
      lingerMs: opts.lingerMs ?? 5,
      confirmTimeoutMs: opts.confirmTimeoutMs ?? 30_000,
      openTimeoutMs: opts.openTimeoutMs ?? 10_000,
      heartbeatSeconds: opts.heartbeatSeconds ?? 10,
      retryBaseMs: opts.retryBaseMs ?? 200,
      retryMaxMs: opts.retryMaxMs ?? 10_000,
      isTransient: opts.isTransient ?? isTransientError,
    };
    this.pub = new Link({
      url: opts.url,
      name: 'publishing',
      queue: this.queue,
      maxQueueBytes: this.o.maxQueueBytes,
      heartbeatSeconds: this.o.heartbeatSeconds,
      onError: opts.onError,
    });
  }

  /** Connect and declare the topology; rejects if the broker cannot be reached within openTimeoutMs. */
  async open(): Promise<void> {
    if (this.opened) throw new Error('already open');
    this.opened = true;
    this.pub.start();
    if (!(await this.pub.waitUp(this.o.openTimeoutMs))) {
      await this.close();
      const e = this.pub.lastError;
      throw new Error(
        `cannot reach RabbitMQ at ${redactUrl(this.opts.url)}: ${e instanceof Error ? e.message : e}`,
      );
    }
    this.timer = setInterval(() => this.checkConfirmTimeout(), 1000);
    this.timer.unref();
  }

  /** Whether this node's broker connections are up right now (for /readyz). */
  get connected(): boolean {
    return this.pub.up && (this.sub === null || this.sub.up);
  }

  append(lines: string[], bounds: PartBounds): Promise<void> {
    if (this.closing) return Promise.reject(new OverloadedError('server is shutting down', 503, 1));
    const s = this.pub.session;
    if (!s || s.dead)
      return Promise.reject(new OverloadedError('the durable buffer (RabbitMQ) is not reachable', 503, 2));
    if (s.blocked)
      return Promise.reject(
        new OverloadedError(`RabbitMQ is refusing publishes (resource alarm: ${s.blocked})`, 503, 5),
      );
    if (lines.length === 0) return Promise.resolve(); // nothing to make durable
    const body = encodeBody(lines);
    // Bounded memory: the bytes amqplib buffers and the broker has not yet confirmed. A message
    // larger than the whole bound still goes alone (refusing it would refuse it forever).
    if (this.unconfirmedBytes > 0 && this.unconfirmedBytes + body.length > this.o.maxUnconfirmedBytes)
      return Promise.reject(new OverloadedError('too many bytes waiting for RabbitMQ to confirm', 429, 1));
    const key = `mq-${this.token}-${(this.seq++).toString(36)}`;
    this.unconfirmedBytes += body.length;
    const done = s.publishConfirmed(this.queue, body, publishOptions(key, lines.length, bounds)).then(
      () => {
        this.settled(key, body.length);
      },
      (err: unknown) => {
        this.settled(key, body.length);
        throw this.refusal(err, s);
      },
    );
    this.inflight.set(key, { at: performance.now(), session: s, done: done.catch(() => {}) });
    return done;
  }

  /**
   * Ingest node: bytes published and not yet confirmed. Worker node: bytes of messages received
   * from the broker and not yet acked (loading, or waiting to be loaded). The queue's own backlog
   * lives in the broker and is not counted here (every node would count it again).
   */
  depthBytes(): number {
    return this.unconfirmedBytes + (this.consumer?.heldBytes ?? 0);
  }

  startDelivery(deliver: (batch: LoadBatch) => Promise<void>): void {
    if (this.consumer) throw new Error('delivery already started');
    this.consumer = new Consumer(
      {
        queue: this.queue,
        prefetch: this.o.prefetch,
        maxHeldBytes: this.o.maxHeldBytes,
        maxAttempts: this.o.maxAttempts,
        maxBatchRecords: this.o.maxBatchRecords,
        lingerMs: this.o.lingerMs,
        retryBaseMs: this.o.retryBaseMs,
        retryMaxMs: this.o.retryMaxMs,
        isTransient: this.o.isTransient,
        onError: this.opts.onError,
      },
      deliver,
      () => this.pub.session,
    );
    const consumer = this.consumer;
    this.sub = new Link({
      url: this.opts.url,
      name: 'consuming',
      queue: this.queue,
      maxQueueBytes: this.o.maxQueueBytes,
      heartbeatSeconds: this.o.heartbeatSeconds,
      onError: this.opts.onError,
      onSession: (s) =>
        consumer.attach(s).catch((err: unknown) => {
          this.opts.onError(err);
          s.kill(err instanceof Error ? err : new Error(String(err)));
        }),
    });
    if (!this.closing) this.sub.start();
  }

  /**
   * Stop consuming (the delivery in flight finishes and is acked), wait for outstanding confirms
   * (at most confirmTimeoutMs), then close the connection.
   */
  async close(): Promise<void> {
    if (this.closing) return this.closed ?? undefined;
    this.closing = true;
    this.closed = (async () => {
      if (this.timer) clearInterval(this.timer);
      await this.consumer?.stop();
      await this.sub?.close();
      const pending = [...this.inflight.values()].map((p) => p.done);
      if (pending.length > 0) await Promise.race([Promise.all(pending), sleep(this.o.confirmTimeoutMs)]);
      await this.pub.close();
    })();
    return this.closed;
  }

  private settled(key: string, bytes: number): void {
    this.unconfirmedBytes -= bytes;
    this.inflight.delete(key);
  }

  private refusal(err: unknown, s: Session): unknown {
    if (err instanceof BrokerRefused) return new OverloadedError(err.message, 429, 5);
    if (err instanceof Unroutable) {
      // The queue is gone: a new session declares it again.
      s.kill(err);
      return new OverloadedError(err.message, 503, 2);
    }
    if (err instanceof SessionLost) return new OverloadedError(err.message, 503, 2);
    this.opts.onError(err);
    return new OverloadedError(`publishing to RabbitMQ failed: ${(err as Error)?.message ?? err}`, 503, 2);
  }

  private checkConfirmTimeout(): void {
    const oldest = this.inflight.values().next();
    if (oldest.done) return;
    const { at, session } = oldest.value;
    if (!session.dead && performance.now() - at > this.o.confirmTimeoutMs)
      session.kill(new Error(`RabbitMQ did not confirm a publish within ${this.o.confirmTimeoutMs} ms`));
  }
}
