import type { FastifyInstance } from 'fastify';
import { within } from '../../auth/access-control.js';
import type { QueryContext } from '../context.js';
import { queryParam, type RawParams } from '../params.js';

const KEEPALIVE_MS = 15_000;

/**
 * `GET /api/v1/tail?q=`: Server-Sent Events, one `record` event per new matching record,
 * `id:` set to the record id so a reconnecting client resumes with Last-Event-ID.
 */
export function registerTailRoute(app: FastifyInstance, ctx: QueryContext): void {
  app.get('/api/v1/tail', async (req, reply) => {
    // A syntax error is a 400 before the stream opens; a role's filter narrows what it sees.
    const query = within(req, queryParam(req.query as RawParams));
    const resume = req.headers['last-event-id'];
    // New subscribers see what is acknowledged from now on; a reconnecting one resumes.
    const resumeAfter = typeof resume === 'string' && /^\d{1,20}$/.test(resume) ? resume : undefined;
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    out.write(': connected\n\n');
    const unsubscribe = ctx.tail.subscribe(
      query,
      (records) => {
        let chunk = '';
        for (const r of records) chunk += `id: ${r.id}\nevent: record\ndata: ${JSON.stringify(r)}\n\n`;
        out.write(chunk);
      },
      resumeAfter,
    );
    const keepalive = setInterval(() => out.write(': keepalive\n\n'), KEEPALIVE_MS);
    req.raw.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  });
}
