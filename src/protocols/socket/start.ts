import type { SocketListenerConfig } from '../../config.js';
import { startGelf } from '../gelf/server.js';
import { startSyslog } from '../syslog/server.js';
import type { PortPair, SocketDeps } from './listeners.js';

export interface SocketListeners {
  syslog?: PortPair;
  gelf?: PortPair;
  close(): Promise<void>;
}

/**
 * Starts the syslog and GELF listeners that are configured. A port given explicitly must bind
 * (the server fails to start otherwise); a default port that is taken — a second Sawmill on the
 * machine, say — is skipped with a warning, so the HTTP API still comes up.
 */
export async function startSocketListeners(
  deps: SocketDeps,
  config: { syslog: SocketListenerConfig; gelf: SocketListenerConfig },
): Promise<SocketListeners> {
  const out: SocketListeners = {
    async close() {
      await Promise.all([out.syslog?.close(), out.gelf?.close()]);
    },
  };
  try {
    out.syslog = await bind(deps, 'syslog', config.syslog, startSyslog);
    out.gelf = await bind(deps, 'GELF', config.gelf, startGelf);
  } catch (err) {
    await out.close();
    throw err;
  }
  return out;
}

async function bind(
  deps: SocketDeps,
  name: string,
  cfg: SocketListenerConfig,
  start: (deps: SocketDeps, port: number) => Promise<PortPair>,
): Promise<PortPair | undefined> {
  if (cfg.port === null) return undefined;
  try {
    return await start(deps, cfg.port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!cfg.required && (code === 'EADDRINUSE' || code === 'EACCES')) {
      deps.log.warn(
        { err, port: cfg.port },
        `${name} listener not started: default port ${cfg.port} is unavailable (${code}); set it explicitly to make this an error`,
      );
      return undefined;
    }
    throw new Error(`cannot listen for ${name} on port ${cfg.port}: ${(err as Error).message}`);
  }
}
