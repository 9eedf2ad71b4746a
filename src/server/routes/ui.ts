import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

/**
 * The web UI: the Vite build in `dist/ui`, served by this server so `npm start` is all it takes.
 *
 * - `/assets/*` have content hashes in their names: cached for a year, immutable.
 * - Everything else (index.html, favicon) is revalidated on every load so a new build shows at once.
 * - Any other GET that asks for HTML gets index.html (SPA fallback: a shared link to a deep path
 *   still opens the app); API paths and non-HTML requests keep the JSON 404.
 * - The page is served with a strict Content-Security-Policy: no inline script and no third-party
 *   origins, a second line of defence behind the UI never turning log text into HTML.
 */
export const UI_DIR = path.join(projectRoot(import.meta.dirname), 'dist', 'ui');

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>Sawmill</title>
<p>The Sawmill web UI has not been built. Run <code>npm run build</code> (or <code>npm start</code>,
which builds first) and reload. The HTTP API is at <a href="/api/v1">/api/v1</a>.</p>`;

export function registerUiRoutes(app: FastifyInstance, uiDir = UI_DIR): void {
  // Only the reply.sendFile decorator: routing below decides what is a file and what is the app.
  // Not awaited: Fastify loads registered plugins before it serves the first request.
  void app.register(fastifyStatic, { root: uiDir, serve: false, preCompressed: true, cacheControl: false });

  const sendIndex = (reply: FastifyReply) => {
    if (!existsSync(path.join(uiDir, 'index.html'))) {
      return reply.code(503).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    return reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' }).sendFile('index.html', uiDir);
  };

  app.get('/', async (_req, reply) => sendIndex(reply));

  // Lowest priority in Fastify's router: every API route wins over this wildcard.
  app.get('/*', async (req: FastifyRequest, reply) => {
    const pathname = req.url.split('?')[0]!;
    if (pathname.startsWith('/api/')) throw notFound(req);
    const file = staticFile(uiDir, pathname);
    if (file) {
      const immutable = file.startsWith('assets/');
      return reply
        .headers({
          ...SECURITY_HEADERS,
          'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        })
        .sendFile(file, uiDir);
    }
    if ((req.headers.accept ?? '').includes('text/html')) return sendIndex(reply);
    throw notFound(req);
  });
}

/** A path inside the build that names an existing file, relative to it; never a dotfile or `..`. */
function staticFile(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null; // malformed %-escape: not one of our files
  }
  const rel = path.posix.normalize(decoded).replace(/^\/+/, '');
  if (rel === '' || rel.includes('\0') || rel.split('/').some((part) => part.startsWith('.'))) return null;
  const abs = path.join(root, rel);
  if (!abs.startsWith(root + path.sep)) return null;
  return statSync(abs, { throwIfNoEntry: false })?.isFile() ? rel : null;
}

function notFound(req: FastifyRequest): ApiError {
  return new ApiError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
}

/** The directory with package.json above this module, from src/ (tsx) and from dist/src/ alike. */
function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
  return dir;
}
