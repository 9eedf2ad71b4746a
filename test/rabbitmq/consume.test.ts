import { describe, expect, it } from 'vitest';
import type { RabbitMqBufferOptions } from '../../src/buffer/rabbitmq/rabbitmq.js';
import type { LoadBatch } from '../../src/store/store.js';
import { BrokerProxy, inspect, records, sleep, useTestBroker, waitFor } from '../helpers/rabbitmq.js';

const broker = useTestBroker('c', { retryBaseMs: 20 });
const buffer = broker.buffer;

/** An ingest node and a worker on the same queue. */
async function pair(o: Partial<RabbitMqBufferOptions> = {}, workerPort?: number) {
  const ingest = await buffer(o);
  const worker = await buffer({ ...o, queue: ingest.queue }, workerPort);
  return { ingest, worker, queue: ingest.queue };
}

const keysOf = (batches: LoadBatch[]) => batches.flatMap((b) => b.parts.map((p) => p.key));

describe('RabbitMqBuffer delivery', () => {
  it('delivers batches of whole messages with their keys, lines and bounds', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker } = await pair({ lingerMs: 50 });
    const sent = [records(3, 100n, 'a'), records(2, 200n, 'b'), records(4, 300n, 'c')];
    for (const r of sent) await ingest.append(r.lines, r.bounds);
    const batches: LoadBatch[] = [];
    worker.startDelivery(async (b) => {
      batches.push(b);
    });
    await waitFor(() => keysOf(batches).length === 3, 5000, 'delivery');
    expect(batches).toHaveLength(1); // all three were waiting: one load
    const parts = batches[0]!.parts;
    expect(new Set(parts.map((p) => p.key)).size).toBe(3);
    for (const [i, r] of sent.entries()) {
      expect(parts[i]!.lines).toEqual(r.lines);
      expect(parts[i]!.bounds).toEqual(r.bounds);
    }
    await worker.close();
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(worker.queue)).toBe(0); // acked
    await look.close();
  });

  it('caps a batch at maxBatchRecords (whole messages)', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker } = await pair({ maxBatchRecords: 25, lingerMs: 50 });
    const r = records(10);
    for (let i = 0; i < 10; i++) await ingest.append(r.lines, r.bounds);
    const sizes: number[] = [];
    worker.startDelivery(async (b) => {
      sizes.push(b.parts.reduce((s, p) => s + p.lines!.length, 0));
    });
    await waitFor(() => sizes.reduce((a, b) => a + b, 0) === 100, 5000, 'delivery');
    expect(Math.max(...sizes)).toBeLessThanOrEqual(25);
    expect(sizes[0]).toBe(20);
  });

  it('acks only after deliver resolved: a worker whose connection drops mid-load gets them again', async (t) => {
    if (!broker.vhost) return t.skip();
    const proxy = new BrokerProxy();
    await proxy.start();
    const { ingest, worker, queue } = await pair({}, proxy.port);
    const r = records(5);
    for (let i = 0; i < 4; i++) await ingest.append(r.lines, r.bounds);
    const seen: string[][] = [];
    let release!: () => void;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    worker.startDelivery(async (b) => {
      seen.push(b.parts.map((p) => p.key));
      if (seen.length === 1) await hold; // the store is "committing" when the connection drops
    });
    await waitFor(() => seen.length === 1, 5000, 'first delivery');
    expect(worker.depthBytes()).toBeGreaterThan(0);
    const look = await inspect(broker.vhost!.url());
    proxy.cut();
    await sleep(200);
    release(); // deliver resolves after the connection is gone: nothing can be acked
    await waitFor(() => seen.length >= 2, 10_000, 'redelivery after reconnect');
    await waitFor(() => seen[0]!.every((k) => seen.slice(1).flat().includes(k)), 10_000, 'all of them again');
    await waitFor(async () => (await look.count(queue)) === 0, 5000, 'acks');
    await look.close();
    await worker.close();
    await proxy.stop();
  });

  it('keeps acking on its own connection while the broker blocks its publishing one', async (t) => {
    if (!broker.vhost) return t.skip();
    const proxy = new BrokerProxy();
    await proxy.start();
    // An `all` node: one buffer that publishes and consumes.
    const node = await buffer({}, proxy.port);
    const got: string[] = [];
    node.startDelivery(async (b) => {
      got.push(...b.parts.map((p) => p.key));
    });
    await waitFor(() => node.connected && proxy.connections === 2, 5000, 'consuming connection');
    proxy.stallClientToBroker(0); // the publishing connection, opened first
    const other = await buffer({ queue: node.queue });
    const r = records(2);
    for (let i = 0; i < 5; i++) await other.append(r.lines, r.bounds);
    await waitFor(() => got.length === 5, 5000, 'deliveries');
    await sleep(200);
    // Had the acks not reached the broker, dropping the connections would bring the messages back.
    await proxy.stop();
    await sleep(300);
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(node.queue)).toBe(0);
    expect(got).toHaveLength(5);
    await look.close();
  });

  it('holds at most about maxHeldBytes of messages, whatever the prefetch', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker } = await pair({ maxHeldBytes: 40_000, prefetch: 500, maxBatchRecords: 50 });
    const r = records(50); // ~3.6 kB a message
    const size = r.lines.join('\n').length;
    for (let i = 0; i < 100; i++) await ingest.append(r.lines, r.bounds);
    let delivered = 0;
    let maxDepth = 0;
    worker.startDelivery(async (b) => {
      maxDepth = Math.max(maxDepth, worker.depthBytes());
      await sleep(5);
      delivered += b.parts.length;
    });
    await waitFor(() => delivered === 100, 20_000, 'all delivered');
    // The first window (16 messages) before any size is known, then windows of 40 kB / 3.6 kB.
    expect(maxDepth).toBeLessThanOrEqual(Math.max(16 * size, 40_000 + 11 * size));
    expect(maxDepth).toBeLessThan(100 * size);
  });

  it('retries a failed delivery and then delivers it', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker } = await pair();
    const r = records(3);
    await ingest.append(r.lines, r.bounds);
    let calls = 0;
    const delivered: string[] = [];
    worker.startDelivery(async (b) => {
      if (++calls === 1) throw new Error('store hiccup');
      delivered.push(...b.parts.map((p) => p.key));
    });
    await waitFor(() => delivered.length === 1, 5000, 'retry');
    expect(calls).toBe(2);
  });

  it('retries transient store failures without using up attempts', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker, queue } = await pair({ maxAttempts: 2 });
    const r = records(3);
    await ingest.append(r.lines, r.bounds);
    let calls = 0;
    worker.startDelivery(async () => {
      if (++calls <= 6)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    await waitFor(() => calls === 7, 10_000, 'delivery after the outage');
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(`${queue}.dead`)).toBe(0);
    await look.close();
  });

  it('dead-letters a poison message after maxAttempts while its neighbours are delivered', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker, queue } = await pair({ maxAttempts: 3 });
    const good1 = records(2, 10n, 'good');
    const bad = records(2, 20n, 'poison');
    const good2 = records(2, 30n, 'good');
    for (const r of [good1, bad, good2]) await ingest.append(r.lines, r.bounds);
    const loaded: string[] = [];
    let poisonTries = 0;
    worker.startDelivery(async (b) => {
      if (b.parts.some((p) => p.lines!.some((l) => l.includes('poison')))) {
        if (b.parts.length === 1) poisonTries++;
        throw new Error('invalid input syntax for type json');
      }
      loaded.push(...b.parts.flatMap((p) => p.lines!));
    });
    const look = await inspect(broker.vhost!.url());
    await waitFor(async () => (await look.count(`${queue}.dead`)) === 1, 10_000, 'dead letter');
    await waitFor(() => loaded.length === 4, 5000, 'neighbours');
    expect(poisonTries).toBe(3);
    expect(loaded).toEqual([...good1.lines, ...good2.lines]);
    const [dead] = await look.drain(`${queue}.dead`);
    const h = dead!.properties.headers!;
    expect(h['sawmill-dead-reason']).toBe('invalid input syntax for type json');
    expect(h['sawmill-attempts']).toBe(3);
    expect(h['sawmill-first-id']).toBe('20');
    expect(Date.parse(h['sawmill-first-failure'])).toBeLessThanOrEqual(Date.parse(h['sawmill-last-failure']));
    expect(h['sawmill-original-key']).toBe(dead!.properties.messageId);
    expect(dead!.content.toString()).toBe(bad.lines.join('\n'));
    await waitFor(async () => (await look.count(queue)) === 0, 5000, 'acks');
    await look.close();
  });

  it('dead-letters nothing during a store outage, whatever the batch shapes and probes', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker, queue } = await pair({ maxAttempts: 2, retryMaxMs: 100 });
    for (let i = 0; i < 10; i++) {
      const r = records(3, BigInt(100 * i + 1));
      await ingest.append(r.lines, r.bounds);
    }
    const down = performance.now() + 1500;
    const loaded = new Set<string>();
    let failures = 0;
    worker.startDelivery(async (b) => {
      if (performance.now() < down) {
        failures++;
        throw Object.assign(new Error('terminating connection due to administrator command'), {
          code: '57P01',
        });
      }
      for (const p of b.parts) loaded.add(p.key);
    });
    await waitFor(() => loaded.size === 10, 15_000, 'all loaded after the outage');
    expect(failures).toBeGreaterThan(5);
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(`${queue}.dead`)).toBe(0);
    await look.close();
  });

  it('counts transient-looking failures of a message once the store loaded others meanwhile', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker, queue } = await pair({ maxAttempts: 2 });
    const sent = [records(1, 1n, 'ok'), records(1, 2n, 'slow'), records(1, 3n, 'ok'), records(1, 4n, 'ok')];
    for (const r of sent) await ingest.append(r.lines, r.bounds);
    const loaded: string[] = [];
    worker.startDelivery(async (b) => {
      // This one message times out every time, which looks like an overloaded store.
      if (b.parts.some((p) => p.lines!.some((l) => l.includes('slow'))))
        throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
      loaded.push(...b.parts.flatMap((p) => p.lines!));
    });
    const look = await inspect(broker.vhost!.url());
    await waitFor(async () => (await look.count(`${queue}.dead`)) === 1, 20_000, 'dead letter');
    await waitFor(() => loaded.length === 3, 5000, 'neighbours');
    const [dead] = await look.drain(`${queue}.dead`);
    expect(dead!.content.toString()).toContain('slow');
    expect(dead!.properties.headers!['sawmill-dead-reason']).toMatch(/statement timeout/);
    await look.close();
  });

  it('dead-letters malformed messages at once, with a reason', async (t) => {
    if (!broker.vhost) return t.skip();
    const { worker, queue } = await pair();
    const look = await inspect(broker.vhost!.url());
    const good = records(1, 5n);
    const headers = {
      'sawmill-format': 1,
      'sawmill-records': 1,
      'sawmill-min-ts': String(good.bounds.minTs),
      'sawmill-max-ts': String(good.bounds.maxTs),
      'sawmill-first-id': '5',
      'sawmill-last-id': '5',
    };
    const send = (body: Buffer, props: object) =>
      new Promise<void>((resolve, reject) =>
        look.ch.sendToQueue(queue, body, { persistent: true, ...props }, (e) => (e ? reject(e) : resolve())),
      );
    await send(Buffer.from('hello'), {}); // no key, no headers
    await send(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), { messageId: 'k-utf8', headers });
    await send(Buffer.from('{"a":1}\n{"b":2}'), { messageId: 'k-count', headers });
    await send(Buffer.from('not json'), { messageId: 'k-json', headers });
    await send(Buffer.from(good.lines[0]!), { messageId: 'k-ok', headers });
    const loaded: string[] = [];
    worker.startDelivery(async (b) => {
      loaded.push(...b.parts.map((p) => p.key));
    });
    await waitFor(async () => (await look.count(`${queue}.dead`)) === 4, 5000, 'dead letters');
    await waitFor(() => loaded.length === 1, 5000, 'the good one');
    expect(loaded).toEqual(['k-ok']);
    const dead = await look.drain(`${queue}.dead`);
    const reasons = dead.map((m) => String(m.properties.headers!['sawmill-dead-reason']));
    expect(reasons[0]).toMatch(/messageId/);
    expect(reasons[1]).toMatch(/UTF-8/);
    expect(reasons[2]).toMatch(/2 lines, header says 1/);
    expect(reasons[3]).toMatch(/not a JSON object/);
    await look.close();
  });

  it('keeps consuming after its queue was deleted and declared again', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker, queue } = await pair();
    const got: string[] = [];
    worker.startDelivery(async (b) => {
      got.push(...b.parts.map((p) => p.key));
    });
    const r = records(1);
    await ingest.append(r.lines, r.bounds);
    await waitFor(() => got.length === 1, 5000, 'first');
    const look = await inspect(broker.vhost!.url());
    await look.ch.deleteQueue(queue); // the broker cancels the consumer
    await look.close();
    await waitFor(
      () =>
        ingest.append(r.lines, r.bounds).then(
          () => true,
          () => false,
        ),
      10_000,
      'append again',
    );
    await waitFor(() => got.length === 2, 10_000, 'delivery after the queue came back');
  });

  it('close() lets the delivery in flight finish and acks it', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker, queue } = await pair();
    const r = records(2);
    for (let i = 0; i < 3; i++) await ingest.append(r.lines, r.bounds);
    let finished = false;
    let started = false;
    worker.startDelivery(async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await waitFor(() => started, 5000, 'delivery');
    await worker.close();
    expect(finished).toBe(true);
    expect(worker.depthBytes()).toBe(0);
    const look = await inspect(broker.vhost!.url());
    expect(await look.count(queue)).toBe(0);
    await look.close();
  });

  it('close() gives back what was prefetched but not delivered', async (t) => {
    if (!broker.vhost) return t.skip();
    const { ingest, worker, queue } = await pair({ maxBatchRecords: 2 });
    const r = records(2);
    for (let i = 0; i < 5; i++) await ingest.append(r.lines, r.bounds);
    let calls = 0;
    worker.startDelivery(async () => {
      calls++;
      await sleep(200);
    });
    await waitFor(() => calls === 1, 5000, 'delivery');
    await worker.close();
    const look = await inspect(broker.vhost!.url());
    await waitFor(async () => (await look.count(queue)) === 5 - calls, 5000, 'returned messages');
    await look.close();
  });
});
