import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

/** Liveness, readiness and Prometheus metrics. */
export function registerHealthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    // Ready means ingest is open: the backlog from before a restart is loaded and ids are seeded.
    const ready = ctx.pipeline.accepting;
    const body = { status: ready ? 'ready' : 'starting', bufferBytes: ctx.buffer.depthBytes() };
    return reply.code(ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) => {
    ctx.metrics.bufferDepth.set(ctx.buffer.depthBytes());
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
