import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { colorsFor } from '../format.js';
import { CliError, type ClientOptions, errorOf, request, retryAfterSeconds } from '../http.js';
import { type Batch, ndjsonBatches } from '../ndjson-batches.js';

export interface IngestFlags {
  batch: string;
  concurrency: string;
  color: boolean;
}

interface BatchReply {
  accepted: number;
  rejected: number;
  errors: Array<{ index: number; code: string; message: string }>;
}

interface Rejection {
  line: number;
  code: string;
  message: string;
}

const MAX_RETRIES = 10;
/** A top-level JSON document (array or one pretty-printed record) is parsed whole up to this size. */
const MAX_WHOLE_JSON = 64 * 1024 * 1024;

/**
 * `sawmill ingest FILE|-`: stream JSON/NDJSON to the server in batches with bounded concurrency,
 * retrying refusals (429/503) after Retry-After. Exit 0 = all accepted, 2 = some rejected,
 * 1 = transport or server failure.
 */
export async function ingest(client: ClientOptions, file: string, flags: IngestFlags): Promise<number> {
  const maxRecords = positive(flags.batch, '--batch');
  const concurrency = positive(flags.concurrency, '--concurrency');
  const err = process.stderr;
  const c = colorsFor(err, flags.color);
  const size = file === '-' ? 0 : (await stat(file).catch(() => null))?.size;
  if (size === undefined || size === null) throw new CliError(`cannot read ${file}`);

  const input = await openInput(file, size);
  const bar =
    err.isTTY && size > 0
      ? new cliProgress.SingleBar(
          { format: ' {bar} {percentage}% | {value}/{total} bytes | {records} records', stream: err },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(size, 0, { records: 0 });

  let accepted = 0;
  const rejections: Rejection[] = [];
  let records = 0;
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for await (const batch of ndjsonBatches(input, maxRecords, 1024 * 1024)) {
    if (failure) break;
    const p = send(client, batch).then(
      (reply) => {
        accepted += reply.accepted;
        records += batch.lines.length;
        for (const e of reply.errors)
          rejections.push({ line: batch.lines[e.index] ?? -1, code: e.code, message: e.message });
        // Only the first 1000 errors of a batch are listed; count the rest all the same.
        for (let i = reply.errors.length; i < reply.rejected; i++)
          rejections.push({ line: -1, code: 'unlisted', message: '' });
        bar?.update(batch.bytesRead, { records });
      },
      (e) => {
        failure ??= e;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  bar?.stop();
  if (failure) throw failure;

  const seconds = (performance.now() - started) / 1000;
  err.write(
    `${c.green(`accepted ${accepted}`)}, ${rejections.length > 0 ? c.red(`rejected ${rejections.length}`) : 'rejected 0'} ` +
      `in ${seconds.toFixed(1)} s (${Math.round((accepted + rejections.length) / Math.max(seconds, 0.001))} records/s)\n`,
  );
  for (const r of rejections.filter((x) => x.line > 0).slice(0, 10)) {
    err.write(`  line ${r.line}: ${r.code}: ${r.message}\n`);
  }
  return rejections.length > 0 ? 2 : 0;
}

async function send(client: ClientOptions, batch: Batch): Promise<BatchReply> {
  for (let attempt = 0; ; attempt++) {
    const res = await request(client, 'api/v1/logs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: batch.body,
    });
    if (res.ok) return (await res.json()) as BatchReply;
    if ((res.status === 429 || res.status === 503) && attempt < MAX_RETRIES) {
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, retryAfterSeconds(res) * 1000));
      continue;
    }
    if (res.status === 400) {
      // Every record of the batch was refused: report them as rejections, not as a failure.
      const body = (await res.json()) as { error: { code: string; details?: BatchReply['errors'] } };
      if (body.error.code === 'no_valid_records') {
        const errors = body.error.details ?? [];
        return { accepted: 0, rejected: Math.max(errors.length, batch.lines.length), errors };
      }
      throw new CliError(`server refused a batch: ${JSON.stringify(body.error)}`);
    }
    throw await errorOf(res);
  }
}

/** NDJSON streams as is; a JSON array (or one pretty-printed record) is turned into NDJSON. */
async function openInput(file: string, size: number): Promise<Readable> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    let first: string | undefined;
    // Iterate by hand: leaving a for-await loop early would destroy stdin.
    const it = (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    for (let r = await it.next(); !r.done; r = await it.next()) {
      const chunk = r.value;
      first ??= chunk.toString('utf8').trimStart()[0];
      if (first !== '[') return Readable.from(prepend(chunk, it));
      chunks.push(chunk);
      if (chunks.reduce((n, b) => n + b.length, 0) > MAX_WHOLE_JSON) {
        throw new CliError(
          'a JSON array on stdin larger than 64 MiB: send NDJSON (one record per line) instead',
        );
      }
    }
    return Readable.from([wholeJsonToNdjson(Buffer.concat(chunks).toString('utf8'))]);
  }
  if (size <= MAX_WHOLE_JSON) {
    const text = await readFile(file, 'utf8');
    const start = text.trimStart()[0];
    if (start === '[' || (start === '{' && !isNdjson(text))) return Readable.from([wholeJsonToNdjson(text)]);
    return Readable.from([text]);
  }
  return createReadStream(file);
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

function isNdjson(text: string): boolean {
  const firstLine = text.trimStart().split('\n', 1)[0] ?? '';
  try {
    JSON.parse(firstLine);
    return true;
  } catch {
    return false;
  }
}

function wholeJsonToNdjson(text: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CliError(`input is not valid JSON: ${(e as Error).message}`);
  }
  const items = Array.isArray(doc) ? doc : [doc];
  return `${items.map((r) => JSON.stringify(r)).join('\n')}\n`;
}

function positive(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive integer`);
  return n;
}
