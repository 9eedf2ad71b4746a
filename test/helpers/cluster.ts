import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { BrokerProxy, createVhost } from './rabbitmq.js';
import { ROOT, waitFor } from './server.js';
import { CI, REDIS_URL, serviceMissing } from './services.js';

export const PG_ADMIN_URL = process.env.SAWMILL_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A cluster's services for one test run, each fresh so runs never see each other's data: a new
 * PostgreSQL database, a new RabbitMQ vhost (reached through a BrokerProxy the test can cut or
 * stop), and a unique cluster name for the Redis keys.
 */
export interface ClusterServices {
  name: string;
  storeUrl: string;
  bufferUrl: string;
  cacheUrl: string;
  /** Between every node and the broker. */
  brokerProxy: BrokerProxy;
  cleanup(): Promise<void>;
}

export async function createClusterServices(what: string): Promise<ClusterServices | null> {
  const id = randomBytes(4).toString('hex');
  const db = `sawmill_test_${id}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
  } catch (err) {
    serviceMissing(`PostgreSQL at ${PG_ADMIN_URL}`, what, err);
    return null;
  }
  const vhost = await createVhost(what);
  if (!vhost) {
    await admin.end();
    return null;
  }
  const name = vhost.name; // the cluster name: its queues live in the vhost of the same name
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
  } catch (err) {
    await admin.end();
    await vhost.delete().catch(() => {});
    serviceMissing(`Redis at ${REDIS_URL}`, what, err);
    return null;
  }
  await admin.query(`CREATE DATABASE ${db}`);
  const brokerProxy = new BrokerProxy();
  await brokerProxy.start();
  const storeUrl = new URL(PG_ADMIN_URL);
  storeUrl.pathname = `/${db}`;
  return {
    name,
    storeUrl: storeUrl.toString(),
    bufferUrl: vhost.url(brokerProxy.port),
    cacheUrl: REDIS_URL,
    brokerProxy,
    async cleanup() {
      await brokerProxy.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
      await admin.end();
      await vhost.delete().catch(() => {});
      const keys = await redis.keys(`${name}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

export interface ClusterNode {
  role: string;
  port: number;
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGKILL, no chance to clean up (the crash the contracts are about). */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the clean shutdown. */
  stop(): Promise<void>;
}

/**
 * `sawmill serve --role ROLE` as its own process, resolved once /readyz answers 200: from the
 * sources (tests), or from the build (`dist`: benchmarks, which must not time the transpiler).
 */
export async function spawnNode(
  s: ClusterServices,
  role: string,
  port: number,
  env: Record<string, string> = {},
  from: 'sources' | 'dist' = 'sources',
): Promise<ClusterNode> {
  const entry =
    from === 'dist' ? [`${ROOT}/dist/src/cli/main.js`] : ['--import', 'tsx', `${ROOT}/src/cli/main.ts`];
  const child = spawn(
    process.execPath,
    [
      ...entry,
      'serve',
      '--role',
      role,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--syslog-port',
      'off',
      '--gelf-port',
      'off',
      '--log-level',
      'warn',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        SAWMILL_STORE: s.storeUrl,
        SAWMILL_BUFFER: s.bufferUrl,
        SAWMILL_CACHE: s.cacheUrl,
        SAWMILL_CLUSTER_NAME: s.name,
        ...env,
      },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${role} node exited (${child.exitCode}): ${stderr}`);
      const res = await fetch(`${url}/readyz`).catch(() => null);
      return res?.status === 200;
    },
    CI ? 60_000 : 30_000,
    100,
  );
  return {
    role,
    port,
    url,
    child,
    stderr: () => stderr,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
