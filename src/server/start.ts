import path from 'node:path';
import { Spool } from '../buffer/spool/spool.js';
import type { ServerConfig } from '../config.js';
import { AttributePromoter } from '../ingest/attribute-columns.js';
import { IngestPipeline } from '../ingest/pipeline.js';
import { Metrics } from '../metrics.js';
import { IdGenerator } from '../model/id.js';
import type { PortPair } from '../protocols/socket/listeners.js';
import { type SocketListeners, startSocketListeners } from '../protocols/socket/start.js';
import { JsonFileSavedSearchStore } from '../saved-searches/file-store.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { buildApp, listeningAt } from './app.js';
import type { ServerContext } from './context.js';
import { TailHub } from './tail-hub.js';

export interface RunningServer {
  url: string;
  port: number;
  ctx: ServerContext;
  /** The syslog and GELF listeners' bound ports, when they run (ephemeral when configured 0). */
  syslog?: Pick<PortPair, 'tcpPort' | 'udpPort'>;
  gelf?: Pick<PortPair, 'tcpPort' | 'udpPort'>;
  close(): Promise<void>;
}

const RETENTION_EVERY_MS = 10 * 60 * 1000;

/**
 * Embedded mode: DuckDB store + local spool in `config.dataDir`, HTTP on `config.port`.
 * Start-up order matters for exactly-once: the spool's backlog from before a crash is loaded
 * (idempotently, by segment key) before ingest opens, and ids are seeded past everything stored.
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const metrics = new Metrics();
  const store = new DuckDbStore({
    dir: config.dataDir,
    queryTimeoutMs: config.queryTimeoutMs,
    memoryLimit: process.env.SAWMILL_DUCKDB_MEMORY ?? '512MB',
  });
  await store.open();
  metrics.watchStoreMemory(() => store.memory());
  metrics.watchDayResults(() => store.dayResults);
  metrics.watchMessagePatterns(() => store.patternStats());
  const logError = (err: unknown) => app.log.error(err);
  const spool = new Spool({
    dir: path.join(config.dataDir, 'spool'),
    maxPendingBytes: config.maxPendingBytes,
    maxSpoolBytes: config.maxSpoolBytes,
    onError: (err) => logError(err),
  });
  await spool.open();
  const ids = new IdGenerator();
  const tail = new TailHub(store, ids, (err) => logError(err));
  const promoter = new AttributePromoter(store, {}, logError);
  const pipeline = new IngestPipeline(spool, ids, config.limits, metrics, config.retentionMicros, promoter);
  const savedSearches = new JsonFileSavedSearchStore(path.join(config.dataDir, 'saved-searches.json'));
  await savedSearches.open();
  const ctx: ServerContext = { config, store, buffer: spool, pipeline, metrics, tail, ids, savedSearches };
  const app = buildApp({
    config,
    metrics,
    ingest: ctx,
    query: ctx,
    roles: ['embedded'],
    // Ready means ingest is open: the backlog from before a restart is loaded and ids are seeded.
    ready: () => ({ ready: pipeline.accepting }),
  });

  spool.startDelivery(async (batch) => {
    const end = metrics.loadDuration.startTimer();
    const result = await store.load(batch);
    end();
    metrics.recordsLoaded.inc(result.inserted);
    if (result.inserted > 0) tail.batchLoaded();
  });

  await app.listen({ port: config.port, host: config.host });
  await spool.drain(); // the backlog left by a previous run
  ids.advancePast(await store.maxId());
  pipeline.accepting = true;

  // Syslog and GELF sockets open once ingest does (a sender that connects earlier is refused and
  // reconnects). If one cannot bind, everything opened so far is closed again.
  let sockets: SocketListeners;
  try {
    sockets = await startSocketListeners(
      { host: config.host, pipeline, registry: metrics.registry, log: app.log, limits: config.socketLimits },
      config,
    );
  } catch (err) {
    pipeline.accepting = false;
    await app.close();
    await spool.close();
    await store.close();
    await savedSearches.close();
    throw err;
  }

  let retention: NodeJS.Timeout | undefined;
  if (config.retentionMicros > 0) {
    const sweep = () =>
      store
        .applyRetention(Date.now() * 1000 - config.retentionMicros)
        .then((n) => n > 0 && app.log.info({ removed: n }, 'retention removed old records'))
        .catch(logError);
    await sweep();
    retention = setInterval(sweep, RETENTION_EVERY_MS);
    retention.unref();
  }

  return {
    ...listeningAt(app, config),
    ctx,
    syslog: sockets.syslog && { tcpPort: sockets.syslog.tcpPort, udpPort: sockets.syslog.udpPort },
    gelf: sockets.gelf && { tcpPort: sockets.gelf.tcpPort, udpPort: sockets.gelf.udpPort },
    async close() {
      clearInterval(retention);
      await sockets.close(); // stores what the sockets already read, while ingest is still open
      pipeline.accepting = false;
      await app.close();
      await spool.close();
      await store.close();
      await savedSearches.close();
    },
  };
}
