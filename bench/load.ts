import { createReadStream } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';

/**
 * Splits an NDJSON file into request bodies of `batch` records before timing starts. Streams the
 * file (10M records are ~3 GB: more than one string can hold); the bodies live outside the heap.
 */
export async function bodies(file: string, batch: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let lines: string[] = [];
  for await (const line of createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    if (!line) continue;
    lines.push(line);
    if (lines.length === batch) {
      out.push(Buffer.from(`${lines.join('\n')}\n`));
      lines = [];
    }
  }
  if (lines.length > 0) out.push(Buffer.from(`${lines.join('\n')}\n`));
  return out;
}

export interface LoadResult {
  records: number;
  seconds: number;
  perSecond: number;
  retries: number;
}

/**
 * `clients` keep-alive connections each POSTing the next body until none are left; 429/503
 * are retried after Retry-After (counted). The rate counts acknowledged records only. With
 * several ports (cluster ingest nodes), client i posts to port i mod ports.length.
 */
export async function postAll(
  ports: number | number[],
  path: string,
  all: Buffer[],
  records: number,
  clients: number,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const targets = Array.isArray(ports) ? ports : [ports];
  const post = (body: Buffer, port: number) =>
    new Promise<{ status: number; retryAfter: number }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 1) }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  let retries = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      const port = targets[client % targets.length]!;
      while (next < all.length) {
        const body = all[next++]!;
        for (;;) {
          const { status, retryAfter } = await post(body, port);
          if (status === 200) break;
          if (status !== 429 && status !== 503) throw new Error(`ingest answered ${status}`);
          retries++;
          await new Promise((r) => setTimeout(r, retryAfter * 1000));
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { records, seconds, perSecond: records / seconds, retries };
}
