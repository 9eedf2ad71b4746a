import { parseCookie } from 'cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { QueryNode } from '../query/ast.js';
import { ApiError } from '../server/errors.js';
import {
  authenticate,
  type Presented,
  presentedCredentials,
  SESSION_COOKIE,
  verifySession,
} from './credentials.js';
import type { AccessControl, AccessKey, AccessPolicy } from './policy.js';
import { type Access, accessOf } from './route-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key this request was made with; null when access control is off (or on a public route without one). */
    principal: AccessKey | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/**
 * Installs the route table (every route must have a rule, on or off) and, when a policy is
 * configured, checks each request against it before its body is read: 401 without a valid key,
 * 403 when the key's role lacks the route's permission. Errors go through the route's own error
 * handler, so Elasticsearch and OTLP clients get them in their protocol's shape.
 */
export function installAccessControl(
  app: FastifyInstance,
  access: AccessControl | null,
  metrics: Metrics,
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const rules = new Set(methods.map((m) => accessOf(m, route.url)));
    if (rules.has(undefined) || rules.size !== 1) {
      throw new Error(
        `no access rule for ${methods.join(',')} ${route.url} (add it to src/auth/route-access.ts)`,
      );
    }
    route.config = { ...route.config, access: [...rules][0] };
  });
  if (!access) return;

  app.addHook('onRequest', async (req, reply) => {
    const rule = req.routeOptions.config.access;
    if (rule === undefined) return; // no such route: the 404 handler answers
    const presented = presentedCredentials(req.headers.authorization);
    req.principal = identify(access.policy, req, presented);
    if (rule === 'public') return;
    if (!req.principal) {
      // Bearer, not Basic: a Basic challenge would make browsers pop up their own password dialog.
      void reply.header('www-authenticate', 'Bearer realm="sawmill"');
      metrics.accessDenied.inc({ status: '401' });
      throw new ApiError(
        'unauthorized',
        presented.kind === 'malformed'
          ? presented.reason
          : presented.kind === 'key'
            ? 'the key is not valid (unknown, changed, or sent with another name)'
            : 'this server requires a key: send "Authorization: Bearer <key>" (CLI: --token or SAWMILL_TOKEN) or sign in to the web UI',
      );
    }
    if (rule !== 'signed-in' && !req.principal.role.permissions.has(rule)) {
      metrics.accessDenied.inc({ status: '403' });
      throw new ApiError(
        'forbidden',
        `key "${req.principal.name}" (role ${req.principal.role.name}) may not ${req.method} ${req.routeOptions.url}: that needs the "${rule}" permission`,
      );
    }
  });
}

/**
 * The key in `Authorization`, else the session cookie. A cookie only counts for requests from the
 * UI's own origin: with SameSite=Strict browsers do not send it cross-site anyway, and checking
 * Origin covers older ones.
 */
function identify(policy: AccessPolicy, req: FastifyRequest, presented: Presented): AccessKey | null {
  if (presented.kind !== 'none') return authenticate(policy, presented);
  const cookieHeader = req.headers.cookie;
  if (!cookieHeader) return null;
  const token = parseCookie(cookieHeader)[SESSION_COOKIE];
  if (!token) return null;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    try {
      if (new URL(origin).host !== req.headers.host) return null;
    } catch {
      return null;
    }
  }
  return verifySession(policy, token);
}

/** The query narrowed to what the caller's role may see (unchanged when its role has no filter). */
export function within(req: FastifyRequest, query: QueryNode): QueryNode {
  const filter = req.principal?.role.filter;
  if (!filter) return query;
  if (query.kind === 'all') return filter.query;
  return { kind: 'and', children: [filter.query, query] };
}
