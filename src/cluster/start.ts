import { Redis } from 'ioredis';
import { DeadLetters } from '../buffer/rabbitmq/dead-letters.js';
import { RabbitMqBuffer } from '../buffer/rabbitmq/rabbitmq.js';
import { redactUrl } from '../buffer/rabbitmq/session.js';
import { RedisQueryCache } from '../cache/redis-query-cache.js';
import type { ClusterConfig, ServerConfig } from '../config.js';
import { IngestPipeline } from '../ingest/pipeline.js';
import { Metrics } from '../metrics.js';
import { IdGenerator } from '../model/id.js';
import { type SocketListeners, startSocketListeners } from '../protocols/socket/start.js';
import { PostgresSavedSearchStore } from '../saved-searches/postgres-store.js';
import { buildApp, listeningAt } from '../server/app.js';
import type { IngestContext, QueryContext } from '../server/context.js';
import { PostgresStore } from '../store/postgres/pg-store.js';
import { announce, announcementFor, retentionGenerationKey } from './announcements.js';
import { ClusterTailHub } from './cluster-tail.js';
import { NodeIdLease } from './node-id.js';

export interface RunningNode {
  url: string;
  port: number;
  roles: readonly string[];
  close(): Promise<void>;
}

const RETENTION_EVERY_MS = 10 * 60 * 1000;

/**
 * A cluster node (docs/cluster.md): the roles of `config.cluster` in one process, on the shared
 * PostgreSQL (store), RabbitMQ (buffer) and Redis (id slots, query cache, tail fan-out).
 *
 * - ingest: the HTTP and socket protocols publish each request's records to the broker and
 *   answer once it confirmed. Ids come from a node slot leased in Redis (model/id.ts).
 * - worker: consumes batches, loads each in one PostgreSQL transaction that records its keys
 *   (exactly once across redelivery), acks after commit, then announces what it loaded.
 * - query: the read API, UI, tail (from the announcements), saved searches and dead letters.
 *
 * Nodes keep no state of their own: any of them can be killed and restarted, or added.
 */
export async function startClusterNode(config: ServerConfig): Promise<RunningNode> {
  const cluster = config.cluster as ClusterConfig;
  const { roles, name } = cluster;
  const has = (r: string) => (roles as readonly string[]).includes(r);
  const metrics = new Metrics();
  const closers: Array<() => Promise<unknown> | unknown> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await Promise.resolve(close()).catch(() => {});
  };
  let log: { error(o: unknown, msg?: string): void; info(o: unknown, msg?: string): void } = {
    error: (o) => process.stderr.write(`${String(o instanceof Error ? o.stack : o)}\n`),
    info: () => {},
  };
  const logError = (err: unknown) => log.error(err);

  try {
    const redis = new Redis(cluster.cacheUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
    redis.on('error', () => {}); // reported where a command fails; ioredis reconnects by itself
    closers.push(() => redis.disconnect());
    await reach('Redis', 'SAWMILL_CACHE', cluster.cacheUrl, () => redis.connect());

    const store = new PostgresStore({
      url: cluster.storeUrl,
      queryTimeoutMs: config.queryTimeoutMs,
      poolSize: has('query') ? 8 : 4,
    });
    await reach('PostgreSQL', 'SAWMILL_STORE', cluster.storeUrl, () => store.open());
    closers.push(() => store.close());

    // Ingest publishes and workers consume; a query node only reads the dead-letter queue
    // (DeadLetters, below), so it holds no buffer connection.
    let buffer: RabbitMqBuffer | undefined;
    if (has('ingest') || has('worker')) {
      const b = new RabbitMqBuffer({
        url: cluster.bufferUrl,
        queue: `${name}.ingest`,
        maxQueueBytes: config.maxSpoolBytes,
        onError: logError,
      });
      await b.open();
      closers.push(() => b.close());
      buffer = b;
    }

    let ingest: IngestContext | undefined;
    let lease: NodeIdLease | undefined;
    if (buffer && has('ingest')) {
      let ids: IdGenerator | undefined;
      lease = new NodeIdLease({
        redis,
        prefix: name,
        lastId: () => ids?.last() ?? 0n,
        // Without a lease another node could take this slot: stop issuing ids until it is back.
        onHeld: (held) => {
          if (ingest) ingest.pipeline.accepting = held;
        },
        onError: logError,
      });
      const node = await lease.acquire();
      closers.push(() => lease?.release());
      ids = new IdGenerator(Date.now, node);
      ids.advancePast(lease.previousLastId);
      const pipeline = new IngestPipeline(buffer, ids, config.limits, metrics, config.retentionMicros);
      pipeline.notAcceptingReason =
        'this ingest node does not hold its id slot (Redis unreachable for too long); it resumes when it does';
      ingest = { config, metrics, buffer, pipeline, ids, store };
    }

    if (buffer && has('worker')) {
      buffer.startDelivery(async (batch) => {
        const end = metrics.loadDuration.startTimer();
        const result = await store.load(batch);
        end();
        metrics.recordsLoaded.inc(result.inserted);
        const a = announcementFor(batch, result.appliedKeys);
        // After the commit: a failed announcement costs live tail an event, never a record.
        if (a) await announce(redis, name, a).catch(logError);
      });
    }

    let query: QueryContext | undefined;
    if (has('query')) {
      const tail = new ClusterTailHub(store, redis.duplicate(), name, logError);
      await tail.open();
      closers.push(() => tail.close());
      const savedSearches = new PostgresSavedSearchStore(cluster.storeUrl);
      await savedSearches.open();
      closers.push(() => savedSearches.close());
      const deadLetters = new DeadLetters({ url: cluster.bufferUrl, queue: `${name}.ingest` });
      closers.push(() => deadLetters.close());
      const cache = new RedisQueryCache({ redis, name, metrics, onError: logError });
      query = { config, metrics, store, tail, savedSearches, deadLetters, cache };
    }

    const app = buildApp({
      config,
      metrics,
      ingest,
      query,
      roles,
      ready: () => ({
        ready: (buffer?.connected ?? true) && (ingest ? ingest.pipeline.accepting : true),
        ...(buffer ? { broker: buffer.connected ? 'connected' : 'unreachable' } : {}),
      }),
    });
    log = app.log;
    closers.push(() => app.close());
    await app.listen({ port: config.port, host: config.host });

    let sockets: SocketListeners | undefined;
    if (ingest) {
      sockets = await startSocketListeners(
        {
          host: config.host,
          pipeline: ingest.pipeline,
          registry: metrics.registry,
          log: app.log,
          limits: config.socketLimits,
        },
        config,
      );
      // Closed first: what the sockets already read is published while the broker is still there.
      closers.push(() => sockets?.close());
      ingest.pipeline.accepting = true;
    }

    if (has('worker') && config.retentionMicros > 0) {
      const timer = setInterval(
        () => void sweepRetention(redis, store, name, config.retentionMicros, log),
        RETENTION_EVERY_MS,
      );
      timer.unref();
      void sweepRetention(redis, store, name, config.retentionMicros, log);
      closers.push(() => clearInterval(timer));
    }

    return {
      ...listeningAt(app, config),
      roles,
      async close() {
        if (ingest) ingest.pipeline.accepting = false;
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Runs `connect`, naming the service, its setting and its (password-free) URL if it fails. */
async function reach(service: string, setting: string, url: string, connect: () => Promise<unknown>) {
  try {
    await connect();
  } catch (err) {
    throw new Error(`cannot reach ${service} at ${redactUrl(url)} (${setting}): ${(err as Error).message}`);
  }
}

/**
 * Retention on a cluster: one worker at a time (a Redis lock that expires if its holder dies),
 * then the retention generation is bumped so cached answers over the removed days are not reused.
 */
async function sweepRetention(
  redis: Redis,
  store: PostgresStore,
  name: string,
  retentionMicros: number,
  log: { error(o: unknown, msg?: string): void; info(o: unknown, msg?: string): void },
): Promise<void> {
  const lock = `${name}:retention-lock`;
  try {
    if ((await redis.set(lock, String(process.pid), 'PX', RETENTION_EVERY_MS, 'NX')) !== 'OK') return;
    const removed = await store.applyRetention(Date.now() * 1000 - retentionMicros);
    if (removed > 0) {
      await redis.incr(retentionGenerationKey(name));
      log.info({ removed }, 'retention removed old records');
    }
  } catch (err) {
    log.error(err);
  }
}
