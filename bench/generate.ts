import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/**
 * Deterministic, realistic log generator: skewed levels, ~1000 resourceIds with a Zipf-like
 * skew, ~200 message templates with variable parts, trace/span ids, 50 commits, timestamps over
 * 7 days in near time order. Same seed → same bytes, so runs compare.
 */
export const END = Date.UTC(2026, 0, 8); // a fixed week: 2026-01-01 .. 2026-01-08
export const SPAN_MS = 7 * 86_400_000;
export const RARE_WORD = 'zanzibarquux';
export const COMMON_WORD = 'timeout';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERBS = ['GET', 'POST', 'PUT', 'DELETE'];
const NOUNS = [
  'user',
  'order',
  'invoice',
  'session',
  'cart',
  'payment',
  'item',
  'account',
  'report',
  'token',
];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
type Part = (r: () => number) => string;
const int =
  (n: number): Part =>
  (r) =>
    String(Math.floor(r() * n));
const pick =
  (xs: string[]): Part =>
  (r) =>
    xs[Math.floor(r() * xs.length)]!;
const ip: Part = (r) => `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`;

/** Fixed templates the queries rely on, then generated ones up to ~200. */
const TEMPLATES: Array<{ level?: string; parts: Array<string | Part> }> = [
  {
    level: 'error',
    parts: [
      'Failed to connect to DB ',
      pick(['primary', 'replica-1', 'replica-2']),
      ' after ',
      int(5000),
      ' ms',
    ],
  },
  { level: 'warn', parts: ['Request ', int(1e6), ' timeout after ', int(30000), ' ms'] },
  { level: 'error', parts: ['connection refused by ', ip, ':', int(65535)] },
  { level: 'error', parts: ['Upstream connect error: connection refused (', ip, ')'] },
  { parts: [pick(VERBS), ' /api/v1/', pick(NOUNS), 's/', int(1e5), ' ', int(600), ' ', int(2000), 'ms'] },
  { parts: ['User ', pick(USERS), ' logged in from ', ip] },
  { level: 'debug', parts: ['cache miss for key ', pick(NOUNS), ':', int(1e6)] },
];
for (let i = 0; TEMPLATES.length < 200; i++) {
  const noun = NOUNS[i % NOUNS.length]!;
  const verb = [
    'created',
    'updated',
    'deleted',
    'loaded',
    'validated',
    'queued',
    'processed',
    'retried',
    'expired',
    'archived',
  ][Math.floor(i / 10) % 10]!;
  TEMPLATES.push({
    parts: [`${noun} `, int(1e6), ` ${verb} by worker-${i % 17} in `, int(500), ` ms (step ${i})`],
  });
}

const LEVELS: Array<[string, number]> = [
  ['info', 0.7],
  ['debug', 0.82],
  ['warn', 0.92],
  ['error', 0.99],
  ['fatal', 1],
];

/** The commits deployed over the week: short hashes, fixed (their own seed). */
const COMMITS = (() => {
  const r = mulberry32(7);
  return Array.from({ length: 50 }, () =>
    Math.floor(r() * 0x10000000)
      .toString(16)
      .padStart(7, '0'),
  );
})();

export function* records(n: number, seed = 42): Generator<Record<string, unknown>> {
  const r = mulberry32(seed);
  const hex = (len: number) => {
    let s = '';
    while (s.length < len)
      s += Math.floor(r() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, len);
  };
  const start = END - SPAN_MS;
  for (let i = 0; i < n; i++) {
    const u = r();
    const resource = Math.floor(1000 * u * u * u); // skewed towards low numbers
    // Templates are skewed too: the first few (the ones the queries look for) are common.
    const t = TEMPLATES[Math.min(TEMPLATES.length - 1, Math.floor(TEMPLATES.length * r() ** 2.5))]!;
    let message = t.parts.map((p) => (typeof p === 'string' ? p : p(r))).join('');
    if (r() < 0.0001) message += ` ${RARE_WORD}`;
    const lv = r();
    const level = t.level ?? LEVELS.find(([, p]) => lv < p)![0];
    const ts = start + Math.floor((i / n) * SPAN_MS + (r() - 0.5) * 2000);
    const traceId = hex(32);
    const spanId = hex(16);
    // One of 50 deployed commits. (Until 2026-12-02 this was a random hash per record, against
    // this file's own description; both draws stay, so every other field is as it was.)
    r();
    const commit = COMMITS[Math.floor(r() * COMMITS.length)];
    const rec: Record<string, unknown> = {
      level,
      message,
      resourceId: `server-${String(resource).padStart(4, '0')}`,
      timestamp: new Date(ts).toISOString(),
      traceId,
      spanId,
      commit,
      metadata: { parentResourceId: `server-${String(Math.floor(r() * 1000)).padStart(4, '0')}` },
    };
    if (r() < 0.3)
      rec.http = {
        method: VERBS[Math.floor(r() * 4)],
        status: [200, 200, 200, 201, 404, 500, 503][Math.floor(r() * 7)],
      };
    if (r() < 0.2) rec.userId = `u${Math.floor(r() * 10000)}`;
    yield rec;
  }
}

/** Writes `n` records as NDJSON with bounded memory; returns bytes written. */
export async function writeNdjson(file: string, n: number, seed = 42): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let chunk = '';
  for (const rec of records(n, seed)) {
    chunk += `${JSON.stringify(rec)}\n`;
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(out, 'finish');
  return bytes;
}
