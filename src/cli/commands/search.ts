import { colorsFor, formatLine, type Hit } from '../format.js';
import { type ClientOptions, getJson } from '../http.js';

export interface SearchFlags {
  from?: string;
  to?: string;
  limit: string;
  output?: 'table' | 'json' | 'ndjson';
  all?: boolean;
  color: boolean;
}

interface SearchReply {
  hits: Hit[];
  total: number | null;
  next: string | null;
  tookMs: number;
}

/** `sawmill search QUERY`: newest first; a table on a terminal, NDJSON when piped. */
export async function search(client: ClientOptions, query: string, flags: SearchFlags): Promise<void> {
  const out = process.stdout;
  const output = flags.output ?? (out.isTTY ? 'table' : 'ndjson');
  const c = colorsFor(out, flags.color);
  const params = new URLSearchParams({ q: query, limit: flags.limit });
  if (flags.from) params.set('from', flags.from);
  if (flags.to) params.set('to', flags.to);
  let shown = 0;
  for (;;) {
    const reply = await getJson<SearchReply>(client, `api/v1/search?${params}`);
    if (output === 'json') out.write(`${JSON.stringify(reply, null, 2)}\n`);
    else if (output === 'ndjson') for (const h of reply.hits) out.write(`${JSON.stringify(h)}\n`);
    else for (const h of reply.hits) out.write(`${formatLine(h, c, out.columns)}\n`);
    shown += reply.hits.length;
    if (output === 'table' && (!flags.all || !reply.next)) {
      process.stderr.write(c.dim(`showing ${shown} of ${reply.total ?? '?'} (${reply.tookMs} ms)\n`));
    }
    if (!flags.all || !reply.next) return;
    params.set('cursor', reply.next);
  }
}
