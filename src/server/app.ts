import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { installAccessControl } from '../auth/access-control.js';
import { OverloadedError } from '../buffer/buffer.js';
import { registerElasticsearchRoutes } from '../protocols/elasticsearch/routes.js';
import { registerGelfRoutes } from '../protocols/gelf/routes.js';
import { registerLokiRoutes } from '../protocols/loki/routes.js';
import { registerOtlpRoutes } from '../protocols/otlp/routes.js';
import { QueryTimeoutError } from '../store/errors.js';
import type { AppParts } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import { registerExportRoute } from './routes/export.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerIngestRoutes } from './routes/ingest.js';
import { registerSavedSearchRoutes } from './routes/saved-searches.js';
import { registerSearchRoutes } from './routes/search.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerTailRoute } from './routes/tail.js';
import { registerUiRoutes } from './routes/ui.js';

/**
 * The HTTP app: the routes of the parts this node runs, plus one error handler that turns every
 * failure into the JSON catalogue. A route of a role this node does not run answers 404 saying
 * which role serves it (behind a load balancer, that is a routing mistake worth naming).
 */
export function buildApp(ctx: AppParts): FastifyInstance {
  const app = Fastify({
    logger: ctx.config.logLevel === 'silent' ? false : { level: ctx.config.logLevel },
    bodyLimit: ctx.config.limits.maxBodyBytes,
    // One log line per request would cost more than ingest itself at thousands of requests/s.
    logController: new LogController({ disableRequestLogging: true }),
  });

  // Every body arrives as raw bytes: each ingest protocol decodes (and decompresses) its own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // Before any route, so every route is checked against the access table (src/auth/route-access.ts).
  installAccessControl(app, ctx.config.access, ctx.metrics);

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    const api = toApiError(err);
    if (api.status >= 500 && !(err instanceof OverloadedError) && !(err instanceof QueryTimeoutError)) {
      req.log.error(err);
    }
    if (err instanceof OverloadedError) ctx.metrics.refusals.inc({ status: String(err.status) });
    if (api.retryAfter !== undefined) void reply.header('retry-after', String(api.retryAfter));
    return reply.code(api.status).send(api.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const role =
      !ctx.ingest && isIngestPath(req.method, path)
        ? 'ingest'
        : !ctx.query && isReadPath(path)
          ? 'query'
          : null;
    const message =
      role === null
        ? `no route ${req.method} ${path}`
        : `${req.method} ${path} is served by nodes with role ${role}; this node runs ${ctx.roles.join(', ')}`;
    reply.code(404).send(new ApiError('not_found', message).toJSON());
  });

  // `GET /` is the web UI (routes/ui.ts); the machine-readable index of the API lives here.
  app.get('/api/v1', async (_req, reply) =>
    reply.send({
      name: 'sawmill',
      ingest: ['POST /', 'POST /api/v1/logs'],
      read: [
        '/api/v1/search',
        '/api/v1/histogram',
        '/api/v1/fields',
        '/api/v1/context/:id',
        '/api/v1/tail',
        '/api/v1/export',
        '/api/v1/saved-searches',
        '/api/v1/validate',
      ],
      session: '/api/v1/session',
      ui: '/',
      docs: 'docs/api.md',
    }),
  );
  registerHealthRoutes(app, ctx);
  registerSessionRoutes(app, ctx.config.access);
  const { ingest, query } = ctx;
  if (ingest) {
    registerIngestRoutes(app, ingest);
    // Shipper protocols: each decodes its own wire format and ingests through ctx.pipeline.
    registerElasticsearchRoutes(app, ingest);
    registerOtlpRoutes(app, ingest);
    registerLokiRoutes(app, ingest);
    registerGelfRoutes(app, ingest);
  }
  if (query) {
    registerSearchRoutes(app, query);
    registerExportRoute(app, query);
    registerTailRoute(app, query);
    registerSavedSearchRoutes(app, query);
    if (query.deadLetters) registerDeadLetterRoutes(app, query.deadLetters);
    registerUiRoutes(app);
  }
  return app;
}

function isIngestPath(method: string, path: string): boolean {
  return (
    (method === 'POST' &&
      (path === '/' || path === '/api/v1/logs' || path === '/gelf' || path === '/v1/logs')) ||
    path.startsWith('/loki/') ||
    path === '/es' ||
    path.startsWith('/es/')
  );
}

function isReadPath(path: string): boolean {
  return (
    path === '/' || (path.startsWith('/api/v1/') && path !== '/api/v1/logs') || path.startsWith('/assets/')
  );
}

/** Where a listening app can be reached (0.0.0.0 by loopback; port 0 resolved to the real one). */
export function listeningAt(
  app: FastifyInstance,
  config: { host: string; port: number },
): { url: string; port: number } {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return { url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`, port };
}
