import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadBatch } from '../../store/store.js';
import { OverloadedError } from '../buffer.js';
import { Spool } from './spool.js';

const RANGE = { minTs: 0, maxTs: 0, firstId: 0n, lastId: 0n };
const dirs: string[] = [];
async function newDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'sawmill-spool-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Collects delivered lines, reading each part's file as the store would. */
function collector() {
  const lines: string[] = [];
  const keys: string[] = [];
  const deliver = async (b: LoadBatch) => {
    for (const p of b.parts) {
      keys.push(p.key);
      lines.push(...(await readFile(p.file!, 'utf8')).split('\n').filter(Boolean));
    }
  };
  return { lines, keys, deliver };
}

describe('Spool', () => {
  it('acknowledges concurrent appends and delivers every line once, in order', async () => {
    const spool = new Spool({
      dir: await newDir(),
      maxPendingBytes: 1e8,
      maxSpoolBytes: 1e9,
      maxDelayMs: 20,
    });
    await spool.open();
    const c = collector();
    spool.startDelivery(c.deliver);
    await Promise.all(Array.from({ length: 100 }, (_, i) => spool.append([`{"n":${i}}`], RANGE)));
    await spool.drain();
    expect(c.lines).toEqual(Array.from({ length: 100 }, (_, i) => `{"n":${i}}`));
    expect(spool.depthBytes()).toBe(0);
    await spool.close();
  });

  it('cuts a torn last line left by a crash and replays the rest on open', async () => {
    const dir = await newDir();
    await appendFile(path.join(dir, '0000000000000001.ndjson'), '{"n":1}\n{"n":2}\n{"n":3');
    const spool = new Spool({ dir, maxPendingBytes: 1e8, maxSpoolBytes: 1e9 });
    await spool.open();
    const c = collector();
    spool.startDelivery(c.deliver);
    await spool.drain();
    expect(c.lines).toEqual(['{"n":1}', '{"n":2}']);
    expect(c.keys).toEqual(['spool:1']);
    await spool.close();
  });

  it('never reuses a segment key, also after a restart with an empty spool', async () => {
    const dir = await newDir();
    const keys: string[] = [];
    for (let run = 0; run < 2; run++) {
      const spool = new Spool({ dir, maxPendingBytes: 1e8, maxSpoolBytes: 1e9, maxDelayMs: 10 });
      await spool.open();
      const c = collector();
      spool.startDelivery(c.deliver);
      await spool.append(['{}'], RANGE);
      await spool.drain();
      keys.push(...c.keys);
      await spool.close();
    }
    expect(new Set(keys).size).toBe(2);
    expect(await readdir(dir)).toEqual([]);
  });

  it('retries a failed delivery and never skips the batch', async () => {
    const spool = new Spool({
      dir: await newDir(),
      maxPendingBytes: 1e8,
      maxSpoolBytes: 1e9,
      maxDelayMs: 10,
    });
    await spool.open();
    let failures = 2;
    const c = collector();
    spool.startDelivery(async (b) => {
      if (failures-- > 0) throw new Error('store down');
      await c.deliver(b);
    });
    await spool.append(['{"n":1}'], RANGE);
    await spool.drain();
    expect(c.lines).toEqual(['{"n":1}']);
    await spool.close();
  });

  it('refuses with 429 past the pending-bytes limit and 503 past the backlog limit', async () => {
    const pending = new Spool({ dir: await newDir(), maxPendingBytes: 10, maxSpoolBytes: 1e9 });
    await pending.open();
    await expect(pending.append(['x'.repeat(100)], RANGE)).rejects.toMatchObject({ status: 429 });
    await pending.close();

    const backlog = new Spool({ dir: await newDir(), maxPendingBytes: 1e8, maxSpoolBytes: 50 });
    await backlog.open(); // no delivery started: everything stays in the backlog
    await backlog.append(['x'.repeat(100)], RANGE);
    const refused = backlog.append(['y'], RANGE);
    await expect(refused).rejects.toBeInstanceOf(OverloadedError);
    await expect(refused).rejects.toMatchObject({ status: 503 });
    await backlog.close();
  });
});
