import type { Message, Options } from 'amqplib';
import type { LoadPart, PartBounds } from '../../store/store.js';

/**
 * The wire format of one ingest message: one `append` call (one HTTP request's accepted records).
 *
 * Body: the request's normalised NDJSON lines joined by `\n` (no trailing newline), UTF-8,
 * uncompressed (deflate level 1 was measured: it costs the ingest node more CPU than the bytes
 * it saves the broker on a 2-core machine; see docs/rabbitmq.md).
 *
 * Properties: `messageId` is the part's exactly-once key (the store records it in the same
 * transaction as the rows, so a redelivered message inserts nothing); `persistent: true` so the
 * broker writes it to disk before confirming. Headers carry what the store would otherwise
 * have to compute in a pre-pass (the part's time and id bounds), as decimal strings because AMQP
 * tables have no unsigned 64-bit integer.
 */
export const FORMAT_VERSION = 1;
export const CONTENT_TYPE = 'application/x-ndjson';

export const H = {
  format: 'sawmill-format',
  records: 'sawmill-records',
  minTs: 'sawmill-min-ts',
  maxTs: 'sawmill-max-ts',
  firstId: 'sawmill-first-id',
  lastId: 'sawmill-last-id',
  // Written only on dead letters:
  reason: 'sawmill-dead-reason',
  attempts: 'sawmill-attempts',
  firstFailure: 'sawmill-first-failure',
  lastFailure: 'sawmill-last-failure',
  originalKey: 'sawmill-original-key',
} as const;

/** Headers that describe a failure; stripped again when a dead letter is replayed. */
export const DEAD_HEADERS: readonly string[] = [
  H.reason,
  H.attempts,
  H.firstFailure,
  H.lastFailure,
  H.originalKey,
  // Added by the broker: its own dead-lettering (delivery limit) and quorum-queue redelivery count.
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  'x-delivery-count',
];

const MAX_KEY_LENGTH = 200;

export function encodeBody(lines: string[]): Buffer {
  return Buffer.from(lines.join('\n'));
}

export function publishOptions(key: string, records: number, bounds: PartBounds): Options.Publish {
  return {
    messageId: key,
    persistent: true,
    // An unroutable message (its queue was deleted) must come back rather than be confirmed and
    // silently dropped: with `mandatory` the broker returns it before the confirm.
    mandatory: true,
    contentType: CONTENT_TYPE,
    appId: 'sawmill',
    timestamp: Math.floor(Date.now() / 1000),
    headers: {
      [H.format]: FORMAT_VERSION,
      [H.records]: records,
      [H.minTs]: String(bounds.minTs),
      [H.maxTs]: String(bounds.maxTs),
      [H.firstId]: String(bounds.firstId),
      [H.lastId]: String(bounds.lastId),
    },
  };
}

export type Decoded = { ok: true; part: LoadPart; records: number } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const INT = /^-?\d{1,19}$/;
const UINT = /^\d{1,20}$/;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Validate a delivered message and turn it into a LoadPart. Anything that is not exactly what
 * `publishOptions`/`encodeBody` produce is refused with a reason (the consumer dead-letters it
 * at once): a message we cannot interpret will not become interpretable by retrying.
 * Lines are checked structurally only (one `{…}` object per line); a line that is not valid
 * JSON fails the store's load and takes the poison-message path (isolated, retried, dead-lettered).
 */
export function decodeMessage(msg: Message): Decoded {
  const key = msg.properties.messageId;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)
    return { ok: false, reason: 'malformed: missing or invalid messageId (the exactly-once key)' };
  const h = (msg.properties.headers ?? {}) as Record<string, unknown>;
  if (Number(h[H.format]) !== FORMAT_VERSION)
    return { ok: false, reason: `malformed: header ${H.format} is not ${FORMAT_VERSION}` };
  const records = Number(h[H.records]);
  if (!Number.isSafeInteger(records) || records < 1)
    return { ok: false, reason: `malformed: header ${H.records} is not a positive integer` };
  const minTs = parseTs(h[H.minTs]);
  const maxTs = parseTs(h[H.maxTs]);
  const firstId = parseId(h[H.firstId]);
  const lastId = parseId(h[H.lastId]);
  if (minTs === null || maxTs === null || minTs > maxTs)
    return { ok: false, reason: `malformed: headers ${H.minTs}/${H.maxTs} are not an integer range` };
  if (firstId === null || lastId === null || firstId > lastId)
    return { ok: false, reason: `malformed: headers ${H.firstId}/${H.lastId} are not an id range` };
  if (msg.properties.contentEncoding)
    return { ok: false, reason: `malformed: unsupported content encoding ${msg.properties.contentEncoding}` };
  let text: string;
  try {
    text = utf8.decode(msg.content);
  } catch {
    return { ok: false, reason: 'malformed: body is not valid UTF-8' };
  }
  const lines = text.split('\n');
  if (lines.length !== records)
    return { ok: false, reason: `malformed: body has ${lines.length} lines, header says ${records}` };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.charCodeAt(0) !== 0x7b || line.charCodeAt(line.length - 1) !== 0x7d)
      return { ok: false, reason: `malformed: line ${i + 1} is not a JSON object` };
  }
  return { ok: true, records, part: { key, lines, bounds: { minTs, maxTs, firstId, lastId } } };
}

function headerText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  return null;
}

function parseTs(v: unknown): number | null {
  const s = headerText(v);
  if (s === null || !INT.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

function parseId(v: unknown): bigint | null {
  const s = headerText(v);
  if (s === null || !UINT.test(s)) return null;
  const n = BigInt(s);
  return n <= U64_MAX ? n : null;
}

/** A header as text (dead-letter headers are strings or numbers; the broker's are tables). */
export function headerString(h: Record<string, unknown> | undefined, name: string): string | null {
  const v = h?.[name];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
