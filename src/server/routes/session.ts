import { stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { issueSession, SESSION_COOKIE, SESSION_SECONDS } from '../../auth/credentials.js';
import { type AccessControl, type AccessKey, keyOf } from '../../auth/policy.js';
import { ApiError } from '../errors.js';
import { jsonBody } from '../json-body.js';

/**
 * `/api/v1/session`: who the caller is, and the web UI's sign-in and sign-out. Signing in trades
 * a key for an HttpOnly cookie, so the key is not kept in the page (where a script could read it).
 */
export function registerSessionRoutes(app: FastifyInstance, access: AccessControl | null): void {
  app.get('/api/v1/session', async (req) => ({
    accessControl: access !== null,
    user: req.principal ? describe(req.principal) : null,
  }));

  app.post('/api/v1/session', { bodyLimit: 4096 }, async (req, reply) => {
    if (!access) throw new ApiError('not_found', 'access control is off: there is nothing to sign in to');
    const body = jsonBody(req, 'send {"key": "<your key>"}') as { key?: unknown };
    if (body === null || typeof body !== 'object' || typeof body.key !== 'string' || body.key === '')
      throw new ApiError('invalid_body', 'send {"key": "<your key>"}');
    const key = keyOf(access.policy, body.key);
    if (!key) throw new ApiError('unauthorized', 'the key is not valid');
    setCookie(req, reply, issueSession(key), SESSION_SECONDS);
    return { accessControl: true, user: describe(key) };
  });

  app.delete('/api/v1/session', async (req, reply) => {
    setCookie(req, reply, '', 0);
    return reply.code(204).send();
  });
}

function describe(key: AccessKey) {
  return {
    name: key.name,
    role: key.role.name,
    permissions: [...key.role.permissions],
    ...(key.role.filter ? { filter: key.role.filter.text } : {}),
  };
}

function setCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAge: number): void {
  // Behind a TLS-terminating proxy the browser is on https: then the cookie is for https only.
  const https = req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
  void reply.header(
    'set-cookie',
    stringifySetCookie({
      name: SESSION_COOKIE,
      value,
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      maxAge,
      secure: https,
    }),
  );
}
