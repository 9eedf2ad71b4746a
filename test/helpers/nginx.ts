import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, ROOT, waitFor } from './server.js';
import { CI } from './services.js';

export const NGINX = process.env.SAWMILL_TEST_NGINX ?? '/usr/sbin/nginx';

export function nginxAvailable(): boolean {
  return spawnSync(NGINX, ['-v']).status === 0;
}

export interface RunningNginx {
  url: string;
  stop(): Promise<void>;
}

/**
 * Debian's nginx running deploy/nginx/sawmill.conf as shipped, with only what a deployment
 * changes: the upstream servers (here: local ports instead of compose hostnames) and the port
 * it listens on.
 */
export async function startNginx(upstreams: { ingest: number[]; query: number[] }): Promise<RunningNginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sawmill-nginx-'));
  const port = await freePort();
  const shipped = await readFile(path.join(ROOT, 'deploy/nginx/sawmill.conf'), 'utf8');
  const servers = (ports: number[]) =>
    ports.map((p) => `    server 127.0.0.1:${p} max_fails=2 fail_timeout=5s;`).join('\n');
  const conf = shipped
    .replace(
      /(upstream sawmill_ingest \{\n\s+least_conn;\n)(?:\s+server [^\n]+\n)+/,
      `$1${servers(upstreams.ingest)}\n`,
    )
    .replace(
      /(upstream sawmill_query \{\n\s+least_conn;\n)(?:\s+server [^\n]+\n)+/,
      `$1${servers(upstreams.query)}\n`,
    )
    .replace('listen 3000;', `listen 127.0.0.1:${port};`);
  if (conf.includes('ingest-1:3000') || conf.includes('query-1:3000'))
    throw new Error('deploy/nginx/sawmill.conf changed shape: update test/helpers/nginx.ts');
  await writeFile(path.join(dir, 'sawmill.conf'), conf);
  await writeFile(
    path.join(dir, 'nginx.conf'),
    `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\n` +
      `events { worker_connections 1024; }\n` +
      `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n` +
      `  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n` +
      `  include ${dir}/sawmill.conf;\n}\n`,
  );
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}`);
      return (await fetch(`${url}/healthz`).catch(() => null))?.ok;
    },
    CI ? 20_000 : 10_000,
    50,
  );
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
