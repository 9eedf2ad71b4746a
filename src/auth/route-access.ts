import type { Permission } from './policy.js';

/**
 * Who may call what, for every route the server has, in one place. `public` needs no key (the
 * UI's own files, the health probes, signing in); `signed-in` needs any valid key (the
 * Elasticsearch probes shippers send before their first bulk request); otherwise the permission.
 * A route missing here fails the server's start (plugin.ts), so a new route cannot slip out
 * unguarded.
 */
export type Access = 'public' | 'signed-in' | Permission;

const RULES: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'metrics',
  'GET /api/v1': 'public',
  'GET /api/v1/session': 'public',
  'POST /api/v1/session': 'public',
  'DELETE /api/v1/session': 'public',
  // The web UI: the page and its assets load for everyone, then the UI asks for a key.
  'GET /': 'public',
  'GET /*': 'public',

  'POST /': 'ingest',
  'POST /api/v1/logs': 'ingest',
  'POST /loki/api/v1/push': 'ingest',
  'POST /v1/logs': 'ingest',
  'POST /gelf': 'ingest',
  'POST /es/_bulk': 'ingest',
  'PUT /es/_bulk': 'ingest',
  'POST /es/:index/_bulk': 'ingest',
  'PUT /es/:index/_bulk': 'ingest',
  'POST /es/:index/:type/_bulk': 'ingest',
  'PUT /es/:index/:type/_bulk': 'ingest',

  'GET /api/v1/search': 'read',
  'GET /api/v1/validate': 'read',
  'GET /api/v1/histogram': 'read',
  'GET /api/v1/fields': 'read',
  'GET /api/v1/context/:id': 'read',
  'GET /api/v1/tail': 'read',
  'GET /api/v1/export': 'read',
  'GET /api/v1/saved-searches': 'read',
  'GET /api/v1/saved-searches/:id': 'read',
  'GET /es/_search': 'read',
  'POST /es/_search': 'read',
  'GET /es/:index/_search': 'read',
  'POST /es/:index/_search': 'read',

  'POST /api/v1/saved-searches': 'save',
  'DELETE /api/v1/saved-searches/:id': 'save',

  'GET /api/v1/dead-letters': 'admin',
  'POST /api/v1/dead-letters/replay': 'admin',
  'POST /api/v1/dead-letters/drop': 'admin',
};

/**
 * The access rule of a route as Fastify registers it (method, URL pattern). HEAD is GET's.
 * Everything else under /es — the version ping, cluster health, `_refresh`, and the
 * Elasticsearch-shaped 404 of the routes it lacks — needs a valid key of any role, as a secured
 * Elasticsearch does.
 */
export function accessOf(method: string, url: string): Access | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  const rule = RULES[`${m} ${url}`];
  if (rule !== undefined) return rule;
  if (url === '/es' || url.startsWith('/es/')) return 'signed-in';
  return undefined;
}
