import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { afterAll, beforeAll } from 'vitest';
import { RabbitMqBuffer, type RabbitMqBufferOptions } from '../../src/buffer/rabbitmq/rabbitmq.js';
import { CI, serviceMissing } from './services.js';

/**
 * Test support for the real RabbitMQ on 127.0.0.1:5672 (test/rabbitmq, test/cluster): a fresh vhost per test file (created and
 * deleted with rabbitmqctl), and a TCP proxy to cut or stall one client's connection without
 * touching the shared broker or anyone else's connections.
 */
const run = promisify(execFile);

export { CI };
export const BROKER_PORT = Number(process.env.SAWMILL_TEST_RABBIT_PORT ?? 5672);

export interface TestVhost {
  name: string;
  url(port?: number): string;
  delete(): Promise<void>;
}

/** Null when the broker is not reachable (and CI is not set): the caller skips with a warning. */
export async function createVhost(what = 'the RabbitMQ buffer tests'): Promise<TestVhost | null> {
  try {
    const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${BROKER_PORT}/`, { timeout: 3000 });
    await c.close();
  } catch (err) {
    serviceMissing(`RabbitMQ at 127.0.0.1:${BROKER_PORT}`, what, err);
    return null;
  }
  const name = `sawmill-test-${randomBytes(4).toString('hex')}`;
  await run('rabbitmqctl', ['add_vhost', name]);
  await run('rabbitmqctl', ['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    name,
    url: (port = BROKER_PORT) => `amqp://guest:guest@127.0.0.1:${port}/${encodeURIComponent(name)}`,
    delete: async () => {
      await run('rabbitmqctl', ['delete_vhost', name]);
    },
  };
}

/**
 * A test file's vhost (made before its tests, deleted after them) and what the file opens on it,
 * closed at the end. `vhost` is null when the broker is not there outside CI (skip the test).
 */
export interface TestBroker {
  readonly vhost: TestVhost | null;
  /** A buffer on a new queue of its own (or `o.queue`), opened; `port` reaches the broker through a proxy. */
  buffer(o?: Partial<RabbitMqBufferOptions>, port?: number): Promise<RabbitMqBuffer>;
  /** Close `c` after the file's tests. */
  closeLater<T extends { close(): Promise<void> }>(c: T): T;
}

export function useTestBroker(
  queuePrefix: string,
  defaults: Omit<Partial<RabbitMqBufferOptions>, 'url'> = {},
): TestBroker {
  let vhost: TestVhost | null = null;
  const closers: Array<{ close(): Promise<void> }> = [];
  let queues = 0;
  beforeAll(async () => {
    vhost = await createVhost();
  });
  afterAll(async () => {
    await Promise.all(closers.map((c) => c.close().catch(() => {})));
    await vhost?.delete();
  });
  const broker: TestBroker = {
    get vhost() {
      return vhost;
    },
    async buffer(o = {}, port) {
      const b = new RabbitMqBuffer({
        url: vhost!.url(port),
        queue: `${queuePrefix}${++queues}`,
        onError: () => {},
        ...defaults,
        ...o,
      });
      broker.closeLater(b);
      await b.open();
      return b;
    },
    closeLater(c) {
      closers.push(c);
      return c;
    },
  };
  return broker;
}

/** A TCP proxy in front of the broker that a test can cut (drop), pause (stall) or stop (refuse). */
export class BrokerProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private paused = false;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(BROKER_PORT, '127.0.0.1');
      const pair = { client, upstream };
      this.pairs.add(pair);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
      if (this.paused) this.pausePair(pair);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Drop every proxied connection (the client sees a reset); new ones are still accepted. */
  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Stop forwarding bytes both ways without closing anything (a stalled broker or network). */
  pause(): void {
    this.paused = true;
    for (const pair of this.pairs) this.pausePair(pair);
  }

  resume(): void {
    this.paused = false;
    for (const { client, upstream } of this.pairs) {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      upstream.resume();
    }
  }

  /** Stop listening and drop every connection: the broker looks down (connection refused). */
  async stop(): Promise<void> {
    this.cut();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /**
   * Stop forwarding what the n-th connection (in connecting order) sends, as a broker that
   * blocked a publishing connection stops reading its socket; the other direction still flows.
   */
  stallClientToBroker(n: number): void {
    const pair = [...this.pairs][n];
    if (!pair) throw new Error(`no connection ${n}`);
    pair.client.unpipe(pair.upstream);
    pair.client.pause();
  }

  /**
   * Send a frame to every client as if the broker had sent it (only safe while the connection is
   * idle, between frames): used to fake `connection.blocked`/`unblocked` without a real alarm.
   */
  inject(frame: Buffer): void {
    for (const { client } of this.pairs) client.write(frame);
  }

  get connections(): number {
    return this.pairs.size;
  }

  private pausePair({ client, upstream }: { client: net.Socket; upstream: net.Socket }): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }
}

/** A plain AMQP connection to the test vhost for looking at queues directly. */
export async function inspect(url: string) {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => {});
  return {
    conn,
    ch,
    async count(queue: string): Promise<number> {
      return (await ch.checkQueue(queue)).messageCount;
    },
    /** Take every message of a queue (acking them): the queue ends up empty. */
    async drain(queue: string) {
      const out: amqp.GetMessage[] = [];
      for (;;) {
        const m = await ch.get(queue, { noAck: true });
        if (!m) return out;
        out.push(m);
      }
    },
    async close() {
      await conn.close().catch(() => {});
    },
  };
}

export function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition') {
  return (async () => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${what}`);
  })();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** n NDJSON lines with contiguous ids, like the pipeline produces for one request. */
export function records(n: number, firstId = 1000n, tag = 'r') {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      JSON.stringify({
        id: String(firstId + BigInt(i)),
        ts: 1_700_000_000_000_000 + i,
        message: `${tag}-${i}`,
      }),
    );
  return {
    lines,
    bounds: {
      minTs: 1_700_000_000_000_000,
      maxTs: 1_700_000_000_000_000 + n - 1,
      firstId,
      lastId: firstId + BigInt(n - 1),
    },
  };
}

/** AMQP 0-9-1 `connection.blocked` (reason) or `connection.unblocked` (no reason) on channel 0. */
export function blockedFrame(reason: string | null): Buffer {
  const args =
    reason === null ? Buffer.alloc(0) : Buffer.concat([Buffer.from([reason.length]), Buffer.from(reason)]);
  const payload = Buffer.concat([Buffer.from([0, 10, 0, reason === null ? 61 : 60]), args]);
  const head = Buffer.alloc(7);
  head.writeUInt8(1, 0); // method frame
  head.writeUInt16BE(0, 1); // channel 0
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}
