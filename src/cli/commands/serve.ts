import { loadConfig, type ServeFlags, type ServerConfig } from '../../config.js';
import { startServer } from '../../server/start.js';
import { CliError } from '../http.js';

/**
 * `sawmill serve`: run the server until SIGINT/SIGTERM, then shut down cleanly (spool drained,
 * or in cluster mode: in-flight publishes confirmed and the current load committed).
 */
export async function serve(flags: ServeFlags): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig(flags);
  } catch (err) {
    // A bad flag or access file: the one line that says what to fix.
    throw new CliError(`cannot start: ${(err as Error).message}`);
  }
  // Loaded only in cluster mode: embedded mode never pulls in the PostgreSQL, AMQP and Redis clients.
  let server: { url: string; close(): Promise<void> };
  try {
    server = config.cluster
      ? await (await import('../../cluster/start.js')).startClusterNode(config)
      : await startServer(config);
  } catch (err) {
    // A service that is down or a port that is taken: one line that says so, not a stack trace.
    throw new CliError(`cannot start: ${(err as Error).message}`);
  }
  const where = config.cluster
    ? `role ${config.cluster.roles.join(',')}, cluster ${config.cluster.name}`
    : `data: ${config.dataDir}`;
  const access = config.access
    ? `access control on: ${keys(config.access.policy.byName.size)} from ${config.access.file}`
    : 'access control off';
  process.stderr.write(`sawmill listening on ${server.url} (${where}; ${access})\n`);
  const closed = [config.syslog.port === null && 'syslog', config.gelf.port === null && 'GELF'].filter(
    Boolean,
  );
  if (config.access && closed.length > 0) {
    // Off by default with access control, since they carry no key: say so, or logger/rsyslog
    // would just see a refused connection.
    process.stderr.write(
      `${closed.join(' and ')} over TCP/UDP: off (they carry no key; --syslog-port / --gelf-port opens them, docs/access.md)\n`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    process.stderr.write(`${signal}: shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  // SIGHUP re-reads the access file: keys added, changed or removed take effect (and sessions of
  // changed or removed keys end) without a restart. A file that does not check out is not used.
  const { access: control } = config;
  if (control) {
    process.on('SIGHUP', () => {
      try {
        const p = control.reload();
        process.stderr.write(`SIGHUP: access file reloaded, ${keys(p.byName.size)} from ${control.file}\n`);
      } catch (err) {
        process.stderr.write(`SIGHUP: kept the previous keys: ${(err as Error).message}\n`);
      }
    });
  }
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const keys = (n: number) => `${n} key${n === 1 ? '' : 's'}`;
