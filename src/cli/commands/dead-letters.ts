import { type ClientOptions, errorOf, getJson, request } from '../http.js';

interface DeadLetter {
  key: string;
  records: number;
  attempts: number;
  reason: string;
  [detail: string]: unknown;
}

/** `sawmill dead-letters list`: batches a cluster's workers gave up on, with the reason. */
export async function listDeadLetters(
  client: ClientOptions,
  flags: { limit: string; output?: 'table' | 'json' },
): Promise<void> {
  const reply = await getJson<{ count: number; deadLetters: DeadLetter[] }>(
    client,
    `api/v1/dead-letters?limit=${encodeURIComponent(flags.limit)}`,
  );
  const out = process.stdout;
  if ((flags.output ?? (out.isTTY ? 'table' : 'json')) === 'json') {
    out.write(`${JSON.stringify(reply, null, 2)}\n`);
    return;
  }
  for (const d of reply.deadLetters) {
    // The reason is an error message from the store: printed as data, one line, control characters escaped.
    const reason = JSON.stringify(d.reason).slice(1, -1);
    out.write(`${d.key}  ${d.records} records  ${d.attempts} attempts  ${reason}\n`);
  }
  process.stderr.write(`${reply.count} dead letter${reply.count === 1 ? '' : 's'}\n`);
}

/** `sawmill dead-letters replay [KEY…]` (all when none named) and `drop KEY…`. */
export async function changeDeadLetters(
  client: ClientOptions,
  action: 'replay' | 'drop',
  keys: string[],
): Promise<void> {
  const res = await request(client, `api/v1/dead-letters/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(keys.length > 0 ? { keys } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  const body = (await res.json()) as { replayed?: number; dropped?: number };
  const n = body.replayed ?? body.dropped ?? 0;
  process.stdout.write(
    `${action === 'replay' ? 'replayed' : 'dropped'} ${n} dead letter${n === 1 ? '' : 's'}\n`,
  );
}
