import { colorsFor, formatLine, type Hit } from '../format.js';
import { CliError, type ClientOptions, errorOf, request } from '../http.js';
import { SseParser } from '../sse.js';

export interface TailFlags {
  output?: 'table' | 'ndjson';
  color: boolean;
}

/** `sawmill tail [QUERY]`: follow new matching records; reconnects (resuming by id) on drops. */
export async function tail(client: ClientOptions, query: string, flags: TailFlags): Promise<void> {
  const out = process.stdout;
  const output = flags.output ?? (out.isTTY ? 'table' : 'ndjson');
  const c = colorsFor(out, flags.color);
  let lastId: string | undefined;
  let backoff = 500;
  for (;;) {
    try {
      const res = await request(client, `api/v1/tail?${new URLSearchParams({ q: query })}`, {
        headers: lastId ? { 'last-event-id': lastId } : {},
      });
      if (!res.ok) throw await errorOf(res);
      if (!res.body) throw new CliError('server sent no stream');
      backoff = 500;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (ev.event === 'error') throw new CliError(`tail stopped: ${ev.data}`);
          if (ev.event !== 'record') continue;
          const hit = JSON.parse(ev.data) as Hit;
          lastId = ev.id ?? hit.id;
          out.write(output === 'ndjson' ? `${ev.data}\n` : `${formatLine(hit, c, out.columns)}\n`);
        }
      }
    } catch (err) {
      // A query error will not fix itself; a dropped connection might.
      if (err instanceof CliError && !/cannot reach/.test(err.message)) throw err;
    }
    process.stderr.write(c.dim(`connection lost; reconnecting in ${backoff} ms\n`));
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 10_000);
  }
}
