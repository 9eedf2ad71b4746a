import { gunzipSync, inflateSync } from 'node:zlib';
import type { Candidate } from '../../ingest/candidate.js';
import { levelFromSyslogSeverity } from '../../model/level.js';
import { SEVERITIES } from '../syslog/pri.js';

/**
 * GELF 1.1 (https://go2docs.graylog.org/current/getting_in_log_data/gelf.html) → Sawmill's record:
 *
 * - `short_message` → `message`; `full_message` → `fullMessage` (kept as a field: search looks at
 *   `message`, as Graylog's does);
 * - `timestamp` (seconds since the epoch with a fraction) → `timestamp`, missing → time of receipt;
 * - `level` (syslog severity 0–7) → `level` and `severity` (`err`, `warning`, …). Missing → `info`:
 *   the spec's default of 1 (alert) would turn every level-less message into a fatal one, and
 *   Graylog itself leaves such messages without a level;
 * - `host` → `host`, and `resourceId` unless an additional field sets one;
 * - additional fields `_name` → `name` (so `_resourceId`, `_traceId`, `_spanId`, `_commit` fill the
 *   keyword fields); one whose stripped name would shadow a mapped field (`_message`, `_level`,
 *   `_host`, …) keeps its underscore. Other keys (GELF 1.0's `facility`, `file`, `line`) are kept
 *   as they are; `version` is dropped.
 */
const MAPPED = new Set(['message', 'timestamp', 'level', 'severity', 'host', 'fullMessage', '__proto__']);

export function gelfRecord(doc: unknown, now: Date): Candidate {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return fail(
      'not_an_object',
      `a GELF message must be a JSON object, got ${Array.isArray(doc) ? 'an array' : typeof doc}`,
    );
  }
  const src = doc as Record<string, unknown>;
  const short = src.short_message;
  if (short === undefined || short === null || short === '') {
    return fail('missing_message', 'GELF message has no "short_message"');
  }
  if (typeof short !== 'string' && typeof short !== 'number' && typeof short !== 'boolean') {
    return fail('invalid_message', `GELF "short_message" must be a string, got ${typeof short}`);
  }
  const record: Record<string, unknown> = {
    message: String(short),
    timestamp: gelfTimestamp(src.timestamp) ?? now.toISOString(),
    level: 'info',
  };
  const sev = typeof src.level === 'string' && /^\d+$/.test(src.level) ? Number(src.level) : src.level;
  if (typeof sev === 'number' && levelFromSyslogSeverity(sev)) {
    record.level = levelFromSyslogSeverity(sev);
    record.severity = SEVERITIES[sev];
  } else if (sev !== undefined && sev !== null) {
    record.level = sev; // a name ("error") or an unknown value: the pipeline normalises it
  }
  if (typeof src.host === 'string' && src.host !== '') record.host = src.host;
  if (src.full_message !== undefined && src.full_message !== null) record.fullMessage = src.full_message;
  for (const key of Object.keys(src)) {
    // JSON.parse makes "__proto__" an own key; copied by assignment it would set the prototype.
    if (key === '__proto__') continue;
    if (key === 'short_message' || key === 'full_message' || key === 'timestamp' || key === 'level') continue;
    if (key === 'host' || key === 'version') continue;
    const name = key.startsWith('_') && key.length > 1 ? key.slice(1) : key;
    record[MAPPED.has(name) || Object.hasOwn(record, name) ? key : name] = src[key];
  }
  if (record.resourceId === undefined && record.host !== undefined) record.resourceId = record.host;
  return { value: record };
}

/**
 * Seconds with a fraction (also as a numeric string) → RFC 3339 with microseconds, computed from
 * the digits so 1795338701.742 does not become …701.741999. Anything else is passed on as sent
 * and the pipeline judges it (an ISO string works too).
 */
function gelfTimestamp(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const text = typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(6) : '') : String(v).trim();
  const m = /^(\d{1,11})(?:\.(\d+))?$/.exec(text);
  if (!m) return typeof v === 'string' ? v : String(v);
  const iso = new Date(Number(m[1]) * 1000).toISOString();
  return `${iso.slice(0, 19)}.${(m[2] ?? '').slice(0, 6).padEnd(6, '0')}Z`;
}

const fail = (
  code: 'not_an_object' | 'missing_message' | 'invalid_message' | 'invalid_json',
  message: string,
): Candidate => ({
  error: { code, message },
});

/** A GELF payload (possibly compressed) as JSON text → candidate. */
export function gelfFromJson(text: string, now: Date): Candidate {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail('invalid_json', `GELF message is not JSON: ${(err as Error).message}`);
  }
  return gelfRecord(doc, now);
}

export class GelfDecodeError extends Error {
  constructor(
    readonly reason: 'bad_compression' | 'message_too_large',
    message: string,
  ) {
    super(message);
  }
}

/**
 * UDP payloads may be zlib (first byte 0x78, RFC 1950 header check) or gzip (1f 8b) compressed,
 * or plain JSON. Decompression is capped at `maxBytes` so a small datagram cannot expand into a
 * large allocation.
 */
export function decompressGelf(payload: Buffer, maxBytes: number): Buffer {
  const gzip = payload.length > 2 && payload[0] === 0x1f && payload[1] === 0x8b;
  const zlib = payload.length > 2 && payload[0] === 0x78 && ((payload[0] << 8) | payload[1]!) % 31 === 0;
  if (!gzip && !zlib) return payload;
  try {
    return (gzip ? gunzipSync : inflateSync)(payload, { maxOutputLength: maxBytes });
  } catch (err) {
    if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new GelfDecodeError(
        'message_too_large',
        `decompressed GELF message is larger than ${maxBytes} bytes`,
      );
    }
    throw new GelfDecodeError(
      'bad_compression',
      `GELF payload is not valid ${gzip ? 'gzip' : 'zlib'}: ${(err as Error).message}`,
    );
  }
}
