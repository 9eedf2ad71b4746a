import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Replays requests captured from real shippers (test/fixtures/wire-samples/, copied from
 * shared/wire-samples). Each line is one request: method, url, raw headers, and the body as
 * sent — or, for compressed bodies, as decoded, so it is compressed again here.
 */
export interface CapturedRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string;
  bodyBase64?: string;
}

const DIR = path.resolve(import.meta.dirname, '../fixtures/wire-samples');

export function loadSample(name: string): CapturedRequest[] {
  return readFileSync(path.join(DIR, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CapturedRequest);
}

/** Hop-by-hop and length headers are the transport's business, not the capture's. */
const SKIP = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

export interface ReplayReply {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends one captured request to `base` + `prefix` + its url (the capture server had no prefix). */
export async function replay(
  base: string,
  req: CapturedRequest,
  prefix = '',
  urlOverride?: string,
): Promise<ReplayReply> {
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) if (!SKIP.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
  let body: Buffer | undefined =
    req.bodyBase64 !== undefined
      ? Buffer.from(req.bodyBase64, 'base64')
      : req.body
        ? Buffer.from(req.body, 'utf8')
        : undefined;
  if (body && /gzip/i.test(headers['content-encoding'] ?? '')) body = gzipSync(body);
  const res = await fetch(`${base}${prefix}${urlOverride ?? req.url}`, {
    method: req.method,
    headers,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Replays every request of a sample in order; all must get a 2xx. */
export async function replayAll(
  base: string,
  name: string,
  prefix = '',
  urlOverride?: string,
): Promise<ReplayReply[]> {
  const out: ReplayReply[] = [];
  for (const req of loadSample(name)) {
    const reply = await replay(base, req, prefix, urlOverride);
    if (reply.status < 200 || reply.status > 299) {
      throw new Error(`${name}: ${req.method} ${req.url} answered ${reply.status}: ${reply.text}`);
    }
    out.push(reply);
  }
  return out;
}
