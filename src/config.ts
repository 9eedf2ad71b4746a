import path from 'node:path';
import { AccessControl } from './auth/policy.js';
import { DEFAULT_LIMITS, type Limits } from './model/limits.js';

/**
 * Server configuration: flags win over environment variables, which win over defaults.
 * Every option is listed in README.md#configuration.
 */
export interface ServerConfig {
  port: number;
  host: string;
  /** Embedded mode's data directory (spool + DuckDB file). */
  dataDir: string;
  /** Keep records this many µs; 0 keeps everything. */
  retentionMicros: number;
  limits: Limits;
  /** Refuse ingest (503) when this many bytes are spooled but not yet in the store. */
  maxSpoolBytes: number;
  /** Refuse ingest (429) when this many bytes of accepted requests wait for the group commit. */
  maxPendingBytes: number;
  /** A query that runs longer than this is interrupted and answered 503. */
  queryTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Syslog over TCP and UDP (RFC 5424/3164), default port 5140. */
  syslog: SocketListenerConfig;
  /** GELF over TCP and UDP, default port 12201. */
  gelf: SocketListenerConfig;
  socketLimits: {
    /** Open TCP connections per listener; more are refused. */
    maxConnections: number;
    /** Longest syslog/GELF message over TCP or reassembled from UDP chunks. */
    maxMessageBytes: number;
  };
  /** Cluster mode (docs/cluster.md); absent = embedded mode. */
  cluster?: ClusterConfig;
  /** Role-based access from the access file (docs/access.md); null = every request is allowed. */
  access: AccessControl | null;
}

export const ROLES = ['ingest', 'worker', 'query'] as const;
export type Role = (typeof ROLES)[number];

export interface ClusterConfig {
  /** What this node does; `all` is every role in one process. */
  roles: Role[];
  /** PostgreSQL connection URL (`postgres://…`). */
  storeUrl: string;
  /** RabbitMQ connection URL (`amqp://…`). */
  bufferUrl: string;
  /** Redis connection URL (`redis://…`). */
  cacheUrl: string;
  /**
   * Names the cluster's shared objects: the queue `<name>.ingest` and the Redis keys `<name>:…`.
   * Nodes of one cluster share it; two clusters on one broker and Redis use two names.
   */
  name: string;
}

/**
 * A socket listener's port: null = off, 0 = an ephemeral port (tests). `required` when set
 * explicitly: then a port that cannot be bound fails the start; a busy default is skipped.
 */
export interface SocketListenerConfig {
  port: number | null;
  required: boolean;
}

export interface ServeFlags {
  port?: string | number;
  host?: string;
  data?: string;
  retention?: string;
  queryTimeout?: string;
  logLevel?: string;
  syslogPort?: string | number;
  gelfPort?: string | number;
  role?: string;
  store?: string;
  buffer?: string;
  cache?: string;
  accessFile?: string;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 3.6e6,
  d: 8.64e7,
  w: 6.048e8,
  y: 3.1536e10,
};

/** `30d`, `12h`, `500ms` → milliseconds; `0`/empty → 0. Throws on anything else. */
export function parseDurationMs(text: string): number {
  const t = text.trim();
  if (t === '' || t === '0') return 0;
  const m = DURATION.exec(t);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(text)} (expected e.g. 30d, 12h, 15m, 500ms)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function loadConfig(flags: ServeFlags = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(flags.port ?? env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port ${flags.port ?? env.PORT}`);
  const accessFile = flags.accessFile ?? env.SAWMILL_ACCESS_FILE ?? '';
  const access = accessFile === '' ? null : AccessControl.load(path.resolve(accessFile));
  // Syslog and GELF sockets carry no credentials: with access control on they only listen when
  // a port is set explicitly.
  const socketDefault = (p: number) => (access ? null : p);
  return {
    port,
    host: flags.host ?? env.SAWMILL_HOST ?? '0.0.0.0',
    dataDir: path.resolve(flags.data ?? env.SAWMILL_DATA ?? './data'),
    retentionMicros: parseDurationMs(flags.retention ?? env.SAWMILL_RETENTION ?? '0') * 1000,
    limits: { ...DEFAULT_LIMITS },
    maxSpoolBytes: Number(env.SAWMILL_MAX_SPOOL_BYTES ?? 2 * 1024 ** 3),
    maxPendingBytes: Number(env.SAWMILL_MAX_PENDING_BYTES ?? 256 * 1024 ** 2),
    queryTimeoutMs: parseDurationMs(flags.queryTimeout ?? env.SAWMILL_QUERY_TIMEOUT ?? '30s'),
    logLevel: (flags.logLevel ?? env.SAWMILL_LOG_LEVEL ?? 'info') as ServerConfig['logLevel'],
    syslog: socketPort('syslog', flags.syslogPort ?? env.SAWMILL_SYSLOG_PORT, socketDefault(5140), port),
    gelf: socketPort('GELF', flags.gelfPort ?? env.SAWMILL_GELF_PORT, socketDefault(12201), port),
    cluster: clusterConfig(flags, env),
    access,
    socketLimits: {
      maxConnections: positiveInt('SAWMILL_SOCKET_MAX_CONNECTIONS', env.SAWMILL_SOCKET_MAX_CONNECTIONS, 1000),
      maxMessageBytes: positiveInt(
        'SAWMILL_SOCKET_MAX_MESSAGE_BYTES',
        env.SAWMILL_SOCKET_MAX_MESSAGE_BYTES,
        256 * 1024,
      ),
    },
  };
}

/**
 * `0` or `off` turns a listener off. Unset, it takes its default port (null: off) — or an
 * ephemeral one when the HTTP port is 0 too (tests run many servers at once and must not fight
 * over 5140/12201).
 */
function socketPort(
  name: string,
  value: string | number | undefined,
  defaultPort: number | null,
  httpPort: number,
): SocketListenerConfig {
  if (value === undefined || value === '') {
    if (defaultPort === null) return { port: null, required: false };
    return { port: httpPort === 0 ? 0 : defaultPort, required: false };
  }
  const text = String(value).trim().toLowerCase();
  if (text === '0' || text === 'off') return { port: null, required: false };
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`invalid ${name} port ${JSON.stringify(value)} (1-65535, or 0/off)`);
  return { port: n, required: true };
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`invalid ${name} ${JSON.stringify(value)} (a positive integer)`);
  return n;
}

/**
 * Cluster mode when a role other than `all` is named or any of the three services is: then all
 * three are required (every role talks to the broker, PostgreSQL and Redis), so a half-configured
 * node fails at start instead of running a silent embedded store beside the cluster.
 */
function clusterConfig(flags: ServeFlags, env: NodeJS.ProcessEnv): ClusterConfig | undefined {
  const roleText = (flags.role ?? env.SAWMILL_ROLE ?? '').trim().toLowerCase();
  const storeUrl = flags.store ?? env.SAWMILL_STORE ?? '';
  const bufferUrl = flags.buffer ?? env.SAWMILL_BUFFER ?? '';
  const cacheUrl = flags.cache ?? env.SAWMILL_CACHE ?? '';
  const roles = parseRoles(roleText);
  if ((roleText === '' || roleText === 'all') && !storeUrl && !bufferUrl && !cacheUrl) return undefined;
  const missing = [
    !/^postgres(ql)?:\/\//.test(storeUrl) && 'SAWMILL_STORE / --store (postgres://…)',
    !/^amqps?:\/\//.test(bufferUrl) && 'SAWMILL_BUFFER / --buffer (amqp://…)',
    !/^rediss?:\/\//.test(cacheUrl) && 'SAWMILL_CACHE / --cache (redis://…)',
  ].filter((m): m is string => m !== false);
  if (missing.length > 0) {
    throw new Error(
      `cluster mode (role ${roles.join(',')}) needs ${missing.join(', ')}; see docs/cluster.md`,
    );
  }
  const name = env.SAWMILL_CLUSTER_NAME ?? 'sawmill';
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name))
    throw new Error(`invalid SAWMILL_CLUSTER_NAME ${JSON.stringify(name)} (letters, digits, _ . -)`);
  return { roles, storeUrl, bufferUrl, cacheUrl, name };
}

/** `ingest`, `worker`, `query`, `all` (the default), or a comma list such as `ingest,query`. */
export function parseRoles(text: string): Role[] {
  if (text === '' || text === 'all') return [...ROLES];
  const roles = text.split(',').map((r) => r.trim());
  for (const r of roles) {
    if (!(ROLES as readonly string[]).includes(r))
      throw new Error(`invalid role ${JSON.stringify(r)} (ingest, worker, query, all, or a comma list)`);
  }
  return ROLES.filter((r) => roles.includes(r));
}
