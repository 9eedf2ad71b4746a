import { describe, expect, it } from 'vitest';
import { DeadLetters } from '../../src/buffer/rabbitmq/dead-letters.js';
import { RabbitMqBuffer } from '../../src/buffer/rabbitmq/rabbitmq.js';
import { DELIVERY_LIMIT } from '../../src/buffer/rabbitmq/topology.js';
import type { LoadBatch } from '../../src/store/store.js';
import { inspect, records, useTestBroker, waitFor } from '../helpers/rabbitmq.js';

const broker = useTestBroker('d');
let n = 0;
/** A queue with `bad` poison messages dead-lettered and `good` delivered; the store can be "fixed". */
async function withDeadLetters(bad: number, good = 1) {
  const queue = `d${++n}`;
  const ingest = new RabbitMqBuffer({ url: broker.vhost!.url(), queue, onError: () => {} });
  const worker = new RabbitMqBuffer({
    url: broker.vhost!.url(),
    queue,
    maxAttempts: 2,
    retryBaseMs: 10,
    onError: () => {},
  });
  broker.closeLater(ingest);
  broker.closeLater(worker);
  await ingest.open();
  await worker.open();
  const state = { fixed: false, loaded: [] as string[] };
  const deliver = async (b: LoadBatch) => {
    if (!state.fixed && b.parts.some((p) => p.lines!.some((l) => l.includes('poison'))))
      throw new Error('value too long for type character varying(64)');
    state.loaded.push(...b.parts.map((p) => p.key));
  };
  for (let i = 0; i < bad; i++) {
    const r = records(3, BigInt(100 * i + 100), `poison-${i}`);
    await ingest.append(r.lines, r.bounds);
  }
  for (let i = 0; i < good; i++) {
    const r = records(1, BigInt(10_000 + i), 'fine');
    await ingest.append(r.lines, r.bounds);
  }
  worker.startDelivery(deliver);
  const dl = new DeadLetters({ url: broker.vhost!.url(), queue });
  broker.closeLater(dl);
  await waitFor(async () => (await dl.count()) === bad, 10_000, 'dead letters');
  await waitFor(() => state.loaded.length === good, 5000, 'good messages');
  return { queue, dl, state, worker };
}

describe('DeadLetters', () => {
  it('lists dead letters without removing them', async (t) => {
    if (!broker.vhost) return t.skip();
    const { dl } = await withDeadLetters(3);
    const list = await dl.list(10);
    expect(list).toHaveLength(3);
    expect(await dl.count()).toBe(3);
    const first = list[0]!;
    expect(first.key).toMatch(/^mq-/);
    expect(first.records).toBe(3);
    expect(first.attempts).toBe(2);
    expect(first.reason).toBe('value too long for type character varying(64)');
    expect(Date.parse(first.firstFailureAt!)).toBeLessThanOrEqual(Date.parse(first.lastFailureAt!));
    expect(first.bytes).toBeGreaterThan(50);
    expect(first.preview).toMatch(/^\{.*poison-\d/);
    expect(await dl.list(2)).toHaveLength(2);
    expect(new Set((await dl.list(10)).map((d) => d.key))).toEqual(new Set(list.map((d) => d.key)));
  });

  it('replays chosen dead letters to the main queue with attempts reset', async (t) => {
    if (!broker.vhost) return t.skip();
    const { dl, state } = await withDeadLetters(3);
    const list = await dl.list(10);
    state.fixed = true;
    expect(await dl.replay([list[1]!.key])).toBe(1);
    await waitFor(() => state.loaded.includes(list[1]!.key), 5000, 'replayed delivery');
    expect(await dl.count()).toBe(2);
    expect(await dl.replay()).toBe(2);
    await waitFor(() => state.loaded.length === 4, 5000, 'all replayed');
    expect(await dl.count()).toBe(0);
  });

  it('replayed messages carry no failure history', async (t) => {
    if (!broker.vhost) return t.skip();
    const { dl, worker, queue } = await withDeadLetters(1, 0);
    await worker.close(); // nobody consumes: look at the replayed copy itself
    expect(await dl.replay()).toBe(1);
    const look = await inspect(broker.vhost!.url());
    const [m] = await look.drain(queue);
    const h = m!.properties.headers!;
    expect(h['sawmill-attempts']).toBeUndefined();
    expect(h['sawmill-dead-reason']).toBeUndefined();
    expect(h['sawmill-records']).toBe(3);
    expect(m!.properties.messageId).toMatch(/^mq-/);
    await look.close();
  });

  it('drops chosen dead letters', async (t) => {
    if (!broker.vhost) return t.skip();
    const { dl } = await withDeadLetters(3);
    const list = await dl.list(10);
    expect(await dl.drop([list[0]!.key, list[2]!.key, 'no-such-key'])).toBe(2);
    expect((await dl.list(10)).map((d) => d.key)).toEqual([list[1]!.key]);
    expect(await dl.drop([])).toBe(0);
  });

  it('reports an empty dead queue when no node has declared the queues yet', async (t) => {
    if (!broker.vhost) return t.skip();
    const dl = new DeadLetters({ url: broker.vhost!.url(), queue: 'never-declared' });
    broker.closeLater(dl);
    expect(await dl.count()).toBe(0);
    expect(await dl.list(10)).toEqual([]);
    expect(await dl.replay()).toBe(0);
    expect(await dl.drop(['x'])).toBe(0);
  });

  it('shows messages the broker dead-lettered after its delivery limit', async (t) => {
    if (!broker.vhost) return t.skip();
    const queue = `d${++n}`;
    const ingest = new RabbitMqBuffer({ url: broker.vhost!.url(), queue, onError: () => {} });
    broker.closeLater(ingest);
    await ingest.open();
    const r = records(1);
    await ingest.append(r.lines, r.bounds);
    // A worker that dies holding the message, again and again: every return counts.
    const look = await inspect(broker.vhost!.url());
    for (let i = 0; i <= DELIVERY_LIMIT; i++) {
      const m = await look.ch.get(queue, { noAck: false });
      if (!m) break;
      look.ch.nack(m, false, true);
    }
    const dl = new DeadLetters({ url: broker.vhost!.url(), queue });
    broker.closeLater(dl);
    await waitFor(async () => (await dl.count()) === 1, 5000, 'broker dead letter');
    const [d] = await dl.list(1);
    expect(d!.reason).toMatch(/more than 50 times/);
    expect(d!.records).toBe(1);
    await look.close();
  });
});
