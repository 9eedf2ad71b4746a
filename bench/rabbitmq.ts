/**
 * RabbitMQ buffer benchmark (not part of `npm test`): publish rate with confirms by message size
 * and concurrency, consume→deliver rate with a no-op deliver, and same-run baselines (raw amqplib
 * without confirms; raw amqplib on a classic queue; a raw null consumer).
 *
 *   npx tsx bench/rabbitmq.ts [--seconds 2] [--url amqp://guest:guest@127.0.0.1:5672/vhost]
 *
 * Without --url it creates a fresh vhost with rabbitmqctl and deletes it afterwards.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { deflateSync } from 'node:zlib';
import amqp from 'amqplib';
import { RabbitMqBuffer } from '../src/buffer/rabbitmq/rabbitmq.js';
import type { PartBounds } from '../src/store/store.js';
import { numberFlag } from './common.js';
import { records } from './generate.js';

const seconds = numberFlag('seconds', 2);
const urlFlag = process.argv.indexOf('--url');
let vhost: string | null = null;
let url: string;
if (urlFlag >= 0) url = process.argv[urlFlag + 1]!;
else {
  vhost = `sawmill-bench-${randomBytes(4).toString('hex')}`;
  execFileSync('rabbitmqctl', ['add_vhost', vhost], { stdio: 'ignore' });
  execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], {
    stdio: 'ignore',
  });
  url = `amqp://guest:guest@127.0.0.1:5672/${vhost}`;
}

let nextId = 1n;
const pool = [...records(2000)].map((r, i) => JSON.stringify({ id: String(1000 + i), ...r }));
const avgLine = pool.reduce((s, l) => s + l.length, 0) / pool.length;
function request(n: number): { lines: string[]; bounds: PartBounds } {
  const firstId = nextId;
  nextId += BigInt(n);
  return { lines: pool.slice(0, n), bounds: { minTs: 1, maxTs: 2, firstId, lastId: nextId - 1n } };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
let q = 0;
const onError = () => {};

async function dropQueue(queue: string): Promise<void> {
  const c = await amqp.connect(url);
  const ch = await c.createChannel();
  await ch.deleteQueue(queue);
  await ch.deleteQueue(`${queue}.dead`);
  await c.close();
}

/** `conc` loops each running `publish` until `seconds` have passed: messages sent, time taken. */
async function timedLoops(
  conc: number,
  publish: () => Promise<unknown>,
): Promise<{ msgs: number; secs: number }> {
  let msgs = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < end) {
        await publish();
        msgs++;
      }
    }),
  );
  return { msgs, secs: (performance.now() - t0) / 1000 };
}

/** RabbitMqBuffer.append with `conc` appenders in a loop for `seconds`. */
async function publishBuffer(perMsg: number, conc: number): Promise<{ msgs: number; secs: number }> {
  const queue = `bench-${++q}`;
  const b = new RabbitMqBuffer({ url, queue, onError });
  await b.open();
  const req = request(perMsg);
  const result = await timedLoops(conc, () => b.append(req.lines, req.bounds));
  await b.close();
  await dropQueue(queue);
  return result;
}

/**
 * Raw amqplib: `confirm` false = plain channel honouring backpressure (client send rate).
 * `nagle`: leave amqplib's default (Nagle on) instead of `noDelay: true` as RabbitMqBuffer does.
 */
async function publishRaw(
  perMsg: number,
  conc: number,
  type: 'quorum' | 'classic',
  confirm: boolean,
  nagle = false,
) {
  const queue = `bench-${++q}`;
  const c = await amqp.connect(url, { noDelay: !nagle });
  const ch = confirm ? await c.createConfirmChannel() : await c.createChannel();
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': type } });
  const body = Buffer.from(request(perMsg).lines.join('\n'));
  const result = await timedLoops(conc, async () => {
    if (confirm)
      await new Promise<void>((res, rej) =>
        (ch as amqp.ConfirmChannel).sendToQueue(queue, body, { persistent: true }, (e) =>
          e ? rej(e) : res(),
        ),
      );
    else if (!ch.sendToQueue(queue, body, { persistent: true }))
      await new Promise((r) => ch.once('drain', r));
  });
  await ch.deleteQueue(queue);
  await c.close();
  return result;
}

/** Fill a queue with `msgs` messages of `perMsg` records, then time consuming it. */
async function consume(perMsg: number, msgs: number, raw: boolean) {
  const queue = `bench-${++q}`;
  const ingest = new RabbitMqBuffer({ url, queue, onError });
  await ingest.open();
  const req = request(perMsg);
  for (let i = 0; i < msgs; i += 64)
    await Promise.all(
      Array.from({ length: Math.min(64, msgs - i) }, () => ingest.append(req.lines, req.bounds)),
    );
  await ingest.close();
  let seen = 0;
  let batches = 0;
  const t0 = performance.now();
  if (raw) {
    const c = await amqp.connect(url, { noDelay: true });
    const ch = await c.createChannel();
    await ch.prefetch(200);
    await new Promise<void>((resolve) => {
      void ch.consume(queue, (m) => {
        if (!m) return;
        ch.ack(m);
        if (++seen === msgs) resolve();
      });
    });
    await c.close();
  } else {
    const worker = new RabbitMqBuffer({ url, queue, onError });
    await worker.open();
    await new Promise<void>((resolve) => {
      worker.startDelivery(async (b) => {
        batches++;
        seen += b.parts.length;
        if (seen === msgs) resolve();
      });
    });
    await worker.close();
  }
  const secs = (performance.now() - t0) / 1000;
  await dropQueue(queue);
  return { msgs, secs, batches };
}

const rows: string[] = [];
const row = (what: string, perMsg: number, conc: number | string, r: { msgs: number; secs: number }) =>
  rows.push(
    `| ${what} | ${perMsg} | ${conc} | ${fmt(r.msgs / r.secs)} | ${fmt((r.msgs * perMsg) / r.secs)} | ${fmt((r.msgs * perMsg * avgLine) / r.secs / 1e6)} |`,
  );

try {
  for (const perMsg of [1, 100, 500, 2000])
    for (const conc of perMsg === 1 ? [1, 8, 64] : [1, 8])
      row('RabbitMqBuffer.append (confirmed)', perMsg, conc, await publishBuffer(perMsg, conc));
  row('raw amqplib, quorum, confirms, noDelay', 100, 1, await publishRaw(100, 1, 'quorum', true));
  row(
    'raw amqplib, quorum, confirms, Nagle (amqplib default)',
    100,
    1,
    await publishRaw(100, 1, 'quorum', true, true),
  );
  row('raw amqplib, quorum, no confirms (send rate)', 500, 8, await publishRaw(500, 8, 'quorum', false));
  // Queue type, same run: the buffer uses quorum.
  for (const [perMsg, conc] of [
    [1, 8],
    [500, 1],
    [500, 8],
  ] as const)
    for (const type of ['quorum', 'classic'] as const)
      row(
        `raw amqplib, ${type === 'quorum' ? 'quorum' : 'classic durable'}, confirms`,
        perMsg,
        conc,
        await publishRaw(perMsg, conc, type, true),
      );
  const consumeRows: string[] = [];
  for (const [perMsg, msgs] of [
    [500, 400],
    [1, 20_000],
  ] as const) {
    const w = await consume(perMsg, msgs, false);
    const r = await consume(perMsg, msgs, true);
    consumeRows.push(
      `| RabbitMqBuffer worker, no-op deliver | ${perMsg} | ${fmt(msgs / w.secs)} | ${fmt((msgs * perMsg) / w.secs)} | ${fmt((msgs * perMsg) / w.batches)} |`,
      `| raw amqplib null consumer (ack each) | ${perMsg} | ${fmt(msgs / r.secs)} | ${fmt((msgs * perMsg) / r.secs)} | — |`,
    );
  }
  // Would compressing bodies pay? deflate level 1 on a 500-record body, on this CPU.
  const body = Buffer.from(request(500).lines.join('\n'));
  const t0 = performance.now();
  let out = 0;
  let runs = 0;
  while (performance.now() - t0 < 1000) {
    out = deflateSync(body, { level: 1 }).length;
    runs++;
  }
  const deflateMBs = (body.length * runs) / ((performance.now() - t0) / 1000) / 1e6;

  const load = os.loadavg()[0]!.toFixed(1);
  process.stdout.write(
    [
      `RabbitMQ buffer benchmark — ${os.cpus().length} cores (load ${load}), ${seconds} s a cell, ~${Math.round(avgLine)} B/record`,
      '',
      '| publish | records/msg | appenders | msgs/s | records/s | MB/s |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      '| consume | records/msg | msgs/s | records/s | records/batch |',
      '|---|---:|---:|---:|---:|',
      ...consumeRows,
      '',
      `deflate level 1, 500-record body: ${fmt(deflateMBs)} MB/s on one core, ${(body.length / out).toFixed(1)}× smaller`,
      '',
    ].join('\n'),
  );
} finally {
  if (vhost) execFileSync('rabbitmqctl', ['delete_vhost', vhost], { stdio: 'ignore' });
}
