import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RabbitMqBuffer } from '../../src/buffer/rabbitmq/rabbitmq.js';
import { createVhost, inspect, type TestVhost, waitFor } from '../helpers/rabbitmq.js';

let vhost: TestVhost | null = null;
const children: ChildProcess[] = [];

beforeAll(async () => {
  vhost = await createVhost();
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await vhost?.delete();
});

function node(role: 'ingest' | 'worker', queue: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'node.ts'), role, vhost!.url(), queue],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, lines, exited };
}

describe('kill -9', () => {
  it('an ingest node killed mid-stream: every append it confirmed is in the queue', async (t) => {
    if (!vhost) return t.skip();
    const queue = 'kill-ingest';
    const ingest = node('ingest', queue);
    await waitFor(() => ingest.lines.filter((l) => l.startsWith('ok')).length > 300, 20_000, 'appends');
    ingest.child.kill('SIGKILL');
    await ingest.exited;
    const confirmed = ingest.lines.filter((l) => l.startsWith('ok ')).map((l) => `req-${l.slice(3)}`);
    const look = await inspect(vhost.url());
    const inQueue = new Set(
      (await look.drain(queue)).map((m) => (JSON.parse(m.content.toString()) as { message: string }).message),
    );
    expect(confirmed.filter((c) => !inQueue.has(c))).toEqual([]);
    await look.close();
  });

  it('a worker killed while loading: its messages go to the next worker, same keys', async (t) => {
    if (!vhost) return t.skip();
    const queue = 'kill-worker';
    const ingest = new RabbitMqBuffer({ url: vhost.url(), queue, onError: () => {} });
    await ingest.open();
    const line = JSON.stringify({ id: '7', ts: 1, message: 'x' });
    for (let i = 0; i < 20; i++) await ingest.append([line], { minTs: 1, maxTs: 1, firstId: 7n, lastId: 7n });
    const worker = node('worker', queue);
    await waitFor(() => worker.lines.some((l) => l.startsWith('got ')), 20_000, 'first load');
    const held = worker.lines
      .find((l) => l.startsWith('got '))!
      .slice(4)
      .split(' ');
    worker.child.kill('SIGKILL');
    await worker.exited;
    const next = new RabbitMqBuffer({ url: vhost.url(), queue, onError: () => {} });
    await next.open();
    const got = new Set<string>();
    next.startDelivery(async (b) => {
      for (const p of b.parts) got.add(p.key);
    });
    await waitFor(() => got.size === 20, 10_000, 'redelivery');
    expect(held.every((k) => got.has(k))).toBe(true);
    await next.close();
    await ingest.close();
  });
});
