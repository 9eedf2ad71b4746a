import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RabbitMqBuffer } from '../../src/buffer/rabbitmq/rabbitmq.js';
import { toStoredLine } from '../../src/model/record.js';
import { parseQuery } from '../../src/query/parse.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { BrokerProxy, createVhost, type TestVhost, waitFor } from '../helpers/rabbitmq.js';

/** Ingest → RabbitMQ → worker → a real store: committed, then the ack lost, then redelivered. */
let vhost: TestVhost | null = null;
let dir = '';
let store: DuckDbStore | null = null;

beforeAll(async () => {
  vhost = await createVhost();
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-mq-store-'));
  store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
  await store.open();
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
  await vhost?.delete();
});

const T0 = Date.UTC(2026, 0, 1) * 1000;

function request(first: number, n: number) {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      toStoredLine({
        id: String(first + i),
        ts: T0 + first + i,
        level: 'info',
        message: `m${first + i}`,
        attrs: {},
      }),
    );
  return {
    lines,
    bounds: {
      minTs: T0 + first,
      maxTs: T0 + first + n - 1,
      firstId: BigInt(first),
      lastId: BigInt(first + n - 1),
    },
  };
}

describe('RabbitMQ buffer with a real store', () => {
  it('stores every acknowledged record exactly once, also when the ack after a commit is lost', async (t) => {
    if (!vhost) return t.skip();
    const queue = 'store-e2e';
    const ingest = new RabbitMqBuffer({ url: vhost.url(), queue, onError: () => {} });
    await ingest.open();
    let total = 0;
    for (let r = 0; r < 20; r++) {
      const req = request(1000 + r * 100, 50);
      await ingest.append(req.lines, req.bounds);
      total += 50;
    }
    const proxy = new BrokerProxy();
    await proxy.start();
    const worker = new RabbitMqBuffer({ url: vhost.url(proxy.port), queue, onError: () => {} });
    await worker.open();
    let loads = 0;
    let inserted = 0;
    worker.startDelivery(async (batch) => {
      const r = await store!.load(batch);
      inserted += r.inserted;
      // The first load commits, then the connection drops before the ack can be sent.
      if (++loads === 1) proxy.cut();
    });
    await waitFor(
      async () => (await store!.count({ query: parseQuery('*') })) === total,
      20_000,
      'all stored',
    );
    await waitFor(() => loads >= 2, 10_000, 'redelivery');
    await new Promise((r) => setTimeout(r, 300));
    expect(await store!.count({ query: parseQuery('*') })).toBe(total);
    expect(inserted).toBe(total);
    await worker.close();
    await ingest.close();
    await proxy.stop();
  });
});
