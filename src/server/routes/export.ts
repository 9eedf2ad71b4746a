import type { FastifyInstance } from 'fastify';
import { type OutputRecord, TOP_LEVEL_FIELDS } from '../../model/record.js';
import type { QueryContext } from '../context.js';
import { ApiError } from '../errors.js';
import { type RawParams, rangeParams, str } from '../params.js';
import { scoped } from './search.js';

const CSV_COLUMNS = [
  'timestamp',
  'level',
  'resourceId',
  'traceId',
  'spanId',
  'commit',
  'message',
  'id',
  'fields',
];

/** `GET /api/v1/export`: newest first, streamed page by page with backpressure. */
export function registerExportRoute(app: FastifyInstance, ctx: QueryContext): void {
  app.get('/api/v1/export', async (req, reply) => {
    const params = req.query as RawParams;
    const format = str(params, 'format') ?? 'ndjson';
    if (format !== 'ndjson' && format !== 'csv') {
      throw new ApiError('invalid_parameter', '"format" must be ndjson or csv');
    }
    const range = scoped(req, rangeParams(params));
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      'content-disposition': `attachment; filename="sawmill-export.${format}"`,
    });
    if (format === 'csv') out.write(`${CSV_COLUMNS.join(',')}\r\n`);
    try {
      for await (const record of ctx.store.export(range)) {
        if (out.destroyed) return;
        const line = format === 'csv' ? csvRow(record) : `${JSON.stringify(record)}\n`;
        if (!out.write(line)) await new Promise((resolve) => out.once('drain', resolve));
      }
    } catch (err) {
      req.log.error(err, 'export failed mid-stream');
      out.destroy(err as Error); // the client sees a truncated transfer, not a silently short file
      return;
    }
    out.end();
  });
}

function csvRow(r: OutputRecord): string {
  const rest: Record<string, unknown> = {};
  for (const k of Object.keys(r)) if (!(TOP_LEVEL_FIELDS as readonly string[]).includes(k)) rest[k] = r[k];
  const values = [r.timestamp, r.level, r.resourceId, r.traceId, r.spanId, r.commit, r.message, r.id];
  values.push(Object.keys(rest).length > 0 ? JSON.stringify(rest) : '');
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** RFC 4180 quoting; cells that a spreadsheet would run as a formula get a leading quote. */
function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
