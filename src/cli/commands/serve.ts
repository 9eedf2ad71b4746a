import { loadConfig, type ServeFlags } from '../../config.js';
import { startServer } from '../../server/start.js';

/** `sawmill serve`: run the server until SIGINT/SIGTERM, then shut down cleanly (spool drained). */
export async function serve(flags: ServeFlags): Promise<void> {
  const config = loadConfig(flags);
  const server = await startServer(config);
  process.stderr.write(`sawmill listening on ${server.url} (data: ${config.dataDir})\n`);
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
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
