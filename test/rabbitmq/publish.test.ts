import { describe, expect, it } from 'vitest';
import { OverloadedError } from '../../src/buffer/buffer.js';
import { RabbitMqBuffer } from '../../src/buffer/rabbitmq/rabbitmq.js';
import {
  BrokerProxy,
  blockedFrame,
  inspect,
  records,
  sleep,
  useTestBroker,
  waitFor,
} from '../helpers/rabbitmq.js';

const errors: unknown[] = [];
const broker = useTestBroker('q', { onError: (e) => errors.push(e) });
const buffer = broker.buffer;

async function refusal(p: Promise<unknown>): Promise<OverloadedError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OverloadedError);
    return err as OverloadedError;
  }
  throw new Error('expected a refusal');
}

describe('RabbitMqBuffer publishing', () => {
  it('resolves append only after the confirm, with the message in the queue', async (t) => {
    if (!broker.vhost) return t.skip();
    const b = await buffer();
    const r = records(3, 42n);
    await b.append(r.lines, r.bounds);
    const look = await inspect(broker.vhost!.url());
    const [m, ...rest] = await look.drain(b.queue);
    expect(rest).toHaveLength(0);
    expect(m!.properties.deliveryMode).toBe(2);
    expect(m!.properties.messageId).toMatch(/^mq-[0-9a-f]{16}-/);
    expect(m!.content.toString()).toBe(r.lines.join('\n'));
    expect(m!.properties.headers).toMatchObject({
      'sawmill-records': 3,
      'sawmill-first-id': '42',
      'sawmill-last-id': '44',
      'sawmill-min-ts': String(r.bounds.minTs),
    });
    await look.close();
  });

  it('pipelines many concurrent appends on one connection, each with its own key', async (t) => {
    if (!broker.vhost) return t.skip();
    const proxy = new BrokerProxy();
    await proxy.start();
    const b = await buffer({}, proxy.port);
    const r = records(10);
    await Promise.all(Array.from({ length: 500 }, () => b.append(r.lines, r.bounds)));
    expect(proxy.connections).toBe(1);
    expect(b.depthBytes()).toBe(0);
    const look = await inspect(broker.vhost!.url());
    const got = await look.drain(b.queue);
    expect(got).toHaveLength(500);
    expect(new Set(got.map((m) => m.properties.messageId)).size).toBe(500);
    await look.close();
    await b.close();
    await proxy.stop();
  });

  it('answers 429 when the queue is full, and loses nothing it confirmed', async (t) => {
    if (!broker.vhost) return t.skip();
    const b = await buffer({ maxQueueBytes: 20_000 });
    const r = records(10); // ~700 bytes a message
    let ok = 0;
    let full: OverloadedError | null = null;
    for (let i = 0; i < 200 && !full; i++) {
      try {
        await b.append(r.lines, r.bounds);
        ok++;
      } catch (err) {
        full = err as OverloadedError;
      }
    }
    expect(full).toBeInstanceOf(OverloadedError);
    expect(full!.status).toBe(429);
    expect(full!.retryAfterSeconds).toBeGreaterThan(0);
    expect(ok).toBeGreaterThan(10);
    // Refusals keep coming while it is full; the queue holds exactly the confirmed messages.
    expect((await refusal(b.append(r.lines, r.bounds))).status).toBe(429);
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(b.queue)).toBe(ok);
    await look.drain(b.queue);
    await b.append(r.lines, r.bounds); // room again
    await look.close();
  });

  it('bounds unconfirmed bytes in memory with 429', async (t) => {
    if (!broker.vhost) return t.skip();
    const b = await buffer({ maxUnconfirmedBytes: 5_000 });
    const r = records(50); // ~3.5 kB
    const first = b.append(r.lines, r.bounds);
    const e = await refusal(b.append(r.lines, r.bounds));
    expect(e.status).toBe(429);
    await first;
    await b.append(r.lines, r.bounds);
    const big = records(500); // larger than the whole bound: accepted when it is alone
    await b.append(big.lines, big.bounds);
  });

  it('fails fast with 503 while the broker is unreachable, and works again after it is back', async (t) => {
    if (!broker.vhost) return t.skip();
    const proxy = new BrokerProxy();
    await proxy.start();
    const port = proxy.port;
    const b = await buffer({}, port);
    const r = records(2);
    await b.append(r.lines, r.bounds);
    await proxy.stop();
    await waitFor(() => !b.connected, 5000, 'disconnect');
    const t0 = performance.now();
    const e = await refusal(b.append(r.lines, r.bounds));
    expect(e.status).toBe(503);
    expect(e.retryAfterSeconds).toBeGreaterThan(0);
    // Fails fast: no waiting for a reconnect or a connect timeout (seconds); loose for busy CI machines.
    expect(performance.now() - t0).toBeLessThan(500);
    await sleep(300); // a few failed reconnects
    await proxy.start(port);
    await waitFor(() => b.connected, 10_000, 'reconnect');
    await b.append(r.lines, r.bounds);
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(b.queue)).toBe(2);
    await look.close();
    await b.close();
    await proxy.stop();
  });

  it('rejects (503) every append unconfirmed when the connection drops; none resolves falsely', async (t) => {
    if (!broker.vhost) return t.skip();
    const proxy = new BrokerProxy();
    await proxy.start();
    const b = await buffer({}, proxy.port);
    const r = records(200);
    const outcomes = Array.from({ length: 300 }, () =>
      b.append(r.lines, r.bounds).then(
        () => 'ok' as const,
        (e: OverloadedError) => e.status,
      ),
    );
    await sleep(5);
    proxy.cut();
    const results = await Promise.all(outcomes);
    const ok = results.filter((x) => x === 'ok').length;
    expect(results.filter((x) => x !== 'ok').every((x) => x === 503)).toBe(true);
    expect(ok).toBeLessThan(300);
    // Every resolved append is in the queue (the broker may hold more: confirmed but the ack was lost).
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(b.queue)).toBeGreaterThanOrEqual(ok);
    await look.close();
    await b.close();
    await proxy.stop();
  });

  it('rejects (503) appends the broker stops confirming, after the confirm timeout', async (t) => {
    if (!broker.vhost) return t.skip();
    const proxy = new BrokerProxy();
    await proxy.start();
    const b = await buffer({ confirmTimeoutMs: 1000 }, proxy.port);
    const r = records(5);
    await b.append(r.lines, r.bounds);
    proxy.pause();
    const t0 = performance.now();
    const e = await refusal(b.append(r.lines, r.bounds));
    expect(e.status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(5000);
    proxy.resume();
    await waitFor(() => b.connected, 10_000, 'reconnect');
    await b.append(r.lines, r.bounds);
    await b.close();
    await proxy.stop();
  });

  it('refuses at once with 503 while the broker blocks publishers (resource alarm)', async (t) => {
    if (!broker.vhost) return t.skip();
    const proxy = new BrokerProxy();
    await proxy.start();
    const b = await buffer({}, proxy.port);
    const r = records(1);
    await b.append(r.lines, r.bounds);
    proxy.inject(blockedFrame('low on disk'));
    await sleep(100);
    const e = await refusal(b.append(r.lines, r.bounds));
    expect(e.status).toBe(503);
    expect(e.message).toContain('low on disk');
    proxy.inject(blockedFrame(null));
    await sleep(100);
    await b.append(r.lines, r.bounds);
    await b.close();
    await proxy.stop();
  });

  it('close() waits for the confirms of appends in flight', async (t) => {
    if (!broker.vhost) return t.skip();
    const b = await buffer();
    const r = records(100);
    const appends = Array.from({ length: 200 }, () => b.append(r.lines, r.bounds));
    await b.close();
    const results = await Promise.allSettled(appends);
    expect(results.filter((x) => x.status === 'rejected')).toEqual([]);
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(b.queue)).toBe(200);
    await look.close();
  });

  it('declares the same topology from any number of nodes, also with other limits', async (t) => {
    if (!broker.vhost) return t.skip();
    const a = await buffer({ queue: 'shared' });
    const c = await buffer({ queue: 'shared', maxQueueBytes: 1234 });
    const r = records(1);
    await Promise.all([a.append(r.lines, r.bounds), c.append(r.lines, r.bounds)]);
    expect(errors.some((e) => String(e).includes('exists with other arguments'))).toBe(true);
  });

  it('never confirms into a deleted queue: 503, then the queue is declared again', async (t) => {
    if (!broker.vhost) return t.skip();
    const b = await buffer();
    const r = records(1);
    await b.append(r.lines, r.bounds);
    const look = await inspect(broker.vhost!.url());
    await look.ch.deleteQueue(b.queue);
    // Unroutable: the broker returns it before the confirm, so the append must not resolve.
    expect((await refusal(b.append(r.lines, r.bounds))).status).toBe(503);
    await waitFor(
      () =>
        b.append(r.lines, r.bounds).then(
          () => true,
          () => false,
        ),
      10_000,
      'queue declared again',
    );
    expect(await look.count(b.queue)).toBe(1);
    await look.close();
  });

  it('refuses with 503 after close', async (t) => {
    if (!broker.vhost) return t.skip();
    const b = await buffer();
    await b.close();
    const r = records(1);
    expect((await refusal(b.append(r.lines, r.bounds))).status).toBe(503);
  });

  it('open fails when the broker cannot be reached', async (t) => {
    if (!broker.vhost) return t.skip();
    const b = new RabbitMqBuffer({
      url: 'amqp://guest:guest@127.0.0.1:1/x',
      openTimeoutMs: 500,
      onError: () => {},
    });
    await expect(b.open()).rejects.toThrow(/cannot reach RabbitMQ/);
  });
});
