import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, get, ndjson, postLogs, spawnServer, startTestServer, waitFor } from './helpers/server.js';

/**
 * Acknowledged means durable: a record the server answered 2xx for is stored exactly once,
 * also when the server process is killed with SIGKILL at an arbitrary moment.
 */
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function exited(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', r));
}

async function exportSeqs(url: string, q: string): Promise<number[]> {
  const r = await get(url, '/api/v1/export', { q, format: 'ndjson' });
  return (r.body as string)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).seq as number);
}

describe('kill -9 mid-ingest', () => {
  it('keeps every acknowledged record exactly once across repeated crashes', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sawmill-crash-'));
    dirs.push(dataDir);
    const run = `crash-${Date.now()}`;
    const acked = new Set<number>();
    let nextSeq = 0;
    let server: ChildProcess | undefined;

    for (let round = 0; round < 4; round++) {
      const port = await freePort();
      server = await spawnServer(dataDir, port);
      const url = `http://127.0.0.1:${port}`;
      let stop = false;
      const clients = Array.from({ length: 4 }, async () => {
        while (!stop) {
          const seqs = Array.from({ length: 200 }, () => nextSeq++);
          const body = ndjson(seqs.map((seq) => ({ message: `record ${seq}`, resourceId: run, seq })));
          try {
            const r = await postLogs(url, body, { 'content-type': 'application/x-ndjson' });
            if (r.status === 200) for (const s of seqs) acked.add(s);
          } catch {
            return; // the server died under us: those records were not acknowledged
          }
        }
      });
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
      server.kill('SIGKILL');
      stop = true;
      await Promise.all(clients);
      await exited(server);
    }

    const port = await freePort();
    server = await spawnServer(dataDir, port);
    const url = `http://127.0.0.1:${port}`;
    try {
      expect(acked.size).toBeGreaterThan(1000);
      const seqs = await waitFor(async () => {
        const s = await exportSeqs(url, `resourceId:${run}`);
        return s.length >= acked.size ? s : null;
      }, 20_000);
      const counts = new Map<number, number>();
      for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
      const missing = [...acked].filter((s) => !counts.has(s));
      const duplicated = [...counts].filter(([, n]) => n > 1).map(([s]) => s);
      expect(missing).toEqual([]);
      expect(duplicated).toEqual([]);
    } finally {
      server.kill('SIGKILL');
    }
  }, 120_000);
});

describe('restarts', () => {
  it('stores new records after a restart that found the spool empty', async () => {
    // Spool segment numbers are exactly-once keys: a new run must never reuse one.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sawmill-restart-'));
    dirs.push(dataDir);
    for (let round = 0; round < 3; round++) {
      const port = await freePort();
      const server = await spawnServer(dataDir, port);
      const url = `http://127.0.0.1:${port}`;
      expect(
        (await postLogs(url, JSON.stringify({ message: `round ${round}`, resourceId: 'restart' }))).status,
      ).toBe(200);
      await waitFor(
        async () => (await get(url, '/api/v1/search', { q: 'resourceId:restart' })).body.total === round + 1,
        5000,
      );
      server.kill('SIGTERM');
      await exited(server);
    }
  }, 60_000);
});

describe('group commit', () => {
  it('acknowledges many concurrent single-record requests, all stored', async () => {
    const s = await startTestServer();
    try {
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          postLogs(s.url, JSON.stringify({ message: `concurrent ${i}`, resourceId: 'gc' })),
        ),
      );
      expect(replies.every((r) => r.status === 200)).toBe(true);
      await waitFor(
        async () => (await get(s.url, '/api/v1/search', { q: 'resourceId:gc' })).body.total === 50,
      );
    } finally {
      await s.close();
    }
  });
});
