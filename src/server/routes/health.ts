import type { FastifyInstance } from 'fastify';
import type { AppParts } from '../context.js';

/** Liveness, readiness and Prometheus metrics. */
export function registerHealthRoutes(app: FastifyInstance, parts: AppParts): void {
  app.get('/healthz', async () => ({ status: 'ok', roles: parts.roles }));
  app.get('/readyz', async (_req, reply) => {
    // Embedded: ingest is open (the spool backlog is loaded, ids are seeded). Cluster: each role's
    // connections are up (see cluster/start.ts).
    const { ready, ...detail } = parts.ready();
    const bufferBytes = parts.ingest?.buffer.depthBytes();
    const body = { status: ready ? 'ready' : 'starting', roles: parts.roles, bufferBytes, ...detail };
    return reply.code(ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) => {
    if (parts.ingest) parts.metrics.bufferDepth.set(parts.ingest.buffer.depthBytes());
    return reply.type(parts.metrics.registry.contentType).send(await parts.metrics.registry.metrics());
  });
}
