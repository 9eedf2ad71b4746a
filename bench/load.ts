import { readFile } from 'node:fs/promises';
import http from 'node:http';

/** Splits an NDJSON file into request bodies of `batch` records (done before timing). */
export async function bodies(file: string, batch: number): Promise<Buffer[]> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  const out: Buffer[] = [];
  for (let i = 0; i < lines.length; i += batch)
    out.push(Buffer.from(`${lines.slice(i, i + batch).join('\n')}\n`));
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
 * are retried after Retry-After (counted). The rate counts acknowledged records only.
 */
export async function postAll(
  port: number,
  path: string,
  all: Buffer[],
  records: number,
  clients: number,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const post = (body: Buffer) =>
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
    Array.from({ length: clients }, async () => {
      while (next < all.length) {
        const body = all[next++]!;
        for (;;) {
          const { status, retryAfter } = await post(body);
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
