import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** What every bench module shares: ports, a real server to measure, small statistics. */
export const ROOT = path.resolve(import.meta.dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface BenchServer {
  port: number;
  pid: number;
  dir: string;
  child: ChildProcess;
  /** SIGTERM, wait for exit, and (unless `keep`) remove the data directory. */
  stop(keep?: boolean): Promise<void>;
}

/**
 * The built Sawmill (dist/, so `npm run build` first) on a fresh data directory, with
 * `extraArgs` after the usual flags; resolves once /readyz answers 200.
 */
export async function startSawmill(
  dirPrefix: string,
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<BenchServer> {
  const dir = await mkdtemp(path.join(tmpdir(), dirPrefix));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'dist/src/cli/main.js'),
      'serve',
      ...['--port', String(port), '--host', '127.0.0.1', '--data', dir, '--log-level', 'warn'],
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (res?.status === 200) break;
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('server did not become ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid!,
    dir,
    child,
    async stop(keep = false) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      if (!keep) await rm(dir, { recursive: true, force: true });
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `--name N` from the command line, or `dflt`. */
export function numberFlag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : dflt;
}

/** Run a bench module on its own (`tsx bench/x.ts --records N`) and print its markdown. */
export function runIfMain(
  moduleFile: string,
  name: string,
  bench: (opts: { records: number; batch: number; clients: number; rounds: number }) => Promise<{
    markdown: string;
  }>,
): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== path.resolve(moduleFile)) return;
  bench({
    records: numberFlag('records', 200_000),
    batch: numberFlag('batch', 1000),
    clients: numberFlag('clients', 4),
    rounds: numberFlag('rounds', 3),
  })
    .then((r) => process.stdout.write(r.markdown))
    .catch((err) => {
      process.stderr.write(`${name} bench failed: ${(err as Error).stack}\n`);
      process.exit(1);
    });
}
