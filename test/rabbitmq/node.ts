/**
 * A Sawmill node reduced to its buffer, run as a separate process so a test can `kill -9` it:
 *   node --import tsx test/rabbitmq/node.ts ingest <url> <queue>   appends forever, prints "ok <i>" per confirmed append
 *   node --import tsx test/rabbitmq/node.ts worker <url> <queue>   prints "got <key> …" per batch, never finishes a load
 */
import { RabbitMqBuffer } from '../../src/buffer/rabbitmq/rabbitmq.js';

const [role, url, queue] = process.argv.slice(2);
const buffer = new RabbitMqBuffer({ url: url!, queue: queue!, onError: () => {} });
await buffer.open();
const out = (s: string) => process.stdout.write(`${s}\n`);

if (role === 'ingest') {
  let next = 0;
  const appender = async () => {
    for (;;) {
      const i = next++;
      const line = JSON.stringify({ id: String(1000 + i), ts: 1_700_000_000_000_000, message: `req-${i}` });
      try {
        await buffer.append([line], {
          minTs: 0,
          maxTs: 0,
          firstId: BigInt(1000 + i),
          lastId: BigInt(1000 + i),
        });
        out(`ok ${i}`);
      } catch {
        // refused: the client would retry; nothing was acknowledged
      }
    }
  };
  out('ready');
  for (let k = 0; k < 16; k++) void appender();
} else {
  buffer.startDelivery(async (batch) => {
    out(`got ${batch.parts.map((p) => p.key).join(' ')}`);
    await new Promise(() => {}); // the store "commits" forever: killed before any ack
  });
  out('ready');
}
