import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

/** Liveness, readiness and Prometheus metrics. */
export function registerHealthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const depth = ctx.buffer.depthBytes();
    const body = { status: ctx.ready ? 'ready' : 'starting', bufferBytes: depth };
    return reply.code(ctx.ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) => {
    ctx.metrics.bufferDepth.set(ctx.buffer.depthBytes());
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
