import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/server/start.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface TestServer {
  url: string;
  dataDir: string;
  server: RunningServer;
  close(): Promise<void>;
}

/** A real server in this process: port 0, a fresh data directory, removed on close. */
export async function startTestServer(
  flags: { retention?: string; accessFile?: string } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sawmill-test-'));
  const server = await startServer(
    loadConfig({ port: 0, host: '127.0.0.1', data: dataDir, logLevel: 'silent', ...flags }, {}),
  );
  return {
    url: server.url,
    dataDir,
    server,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The real CLI as a separate process (`sawmill serve`), resolved once /readyz answers 200. */
export async function spawnServer(
  dataDir: string,
  port: number,
  extraArgs: string[] = [],
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'src/cli/main.ts'),
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data',
      dataDir,
      '--log-level',
      'warn',
      ...extraArgs,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr}`);
    const res = await fetch(`${url}/readyz`).catch(() => null);
    return res?.status === 200;
  }, 30_000);
  return child;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  fn: () => Promise<T | false | null | undefined>,
  timeoutMs = 5000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A parsed JSON reply; tests assert on it field by field, so it is deliberately untyped. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Reply = any;

export async function postLogs(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/v1/logs`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply };
}

export async function get(url: string, pathname: string, params: Record<string, string> = {}) {
  const res = await fetch(`${url}${pathname}?${new URLSearchParams(params)}`);
  const text = await res.text();
  let body: Reply = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics, export)
  }
  return { status: res.status, headers: res.headers, body };
}

export const search = (url: string, params: Record<string, string>) => get(url, '/api/v1/search', params);

/** Search until `total` reaches `n` (records become searchable within ~1 s of acknowledgement). */
export async function searchWhenCount(
  url: string,
  params: Record<string, string>,
  n: number,
  timeoutMs = 5000,
) {
  return waitFor(async () => {
    const r = await search(url, params);
    return r.status === 200 && r.body.total === n ? r : null;
  }, timeoutMs);
}

export const ndjson = (records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
