import type { Candidate } from '../../ingest/candidate.js';
import { parseTimestamp } from '../../model/timestamp.js';
import { DEFAULT_PRI, decodePriority, readPri } from './pri.js';
import { parseRfc3164 } from './rfc3164.js';
import { parseRfc5424, VERSION } from './rfc5424.js';

/**
 * One syslog message (RFC 5424, RFC 3164, or rsyslog's RFC 3164 header with an RFC 3339
 * timestamp) → a record in Sawmill's model:
 *
 * - `level` from the PRI severity, `facility` and `severity` as their keywords (`local0`, `err`);
 * - `timestamp` from the header (time of receipt when it has none);
 * - `hostname`, `appName`, `procId`, `msgId` as fields; `resourceId` defaults to the hostname;
 * - each RFC 5424 SD-ELEMENT as an object under its SD-ID (`timeQuality.tzKnown`,
 *   `meta@32473.resourceId`); SD-PARAMs named `resourceId`, `traceId`, `spanId` or `commit` also
 *   fill the record's keyword fields, so senders can set them.
 *
 * A message that does not parse is never dropped: it is stored whole as the message, with
 * `parseError` saying why.
 */
export type SyslogRecord = Record<string, unknown> & { message: string; timestamp: string };

/** Header fields; an SD-ID equal to one of these is stored as `sd_<id>` so it cannot overwrite it. */
const HEADER_KEYS = new Set([
  'message',
  'timestamp',
  'level',
  'facility',
  'severity',
  'hostname',
  'appName',
  'procId',
  'msgId',
  'resourceId',
  'traceId',
  'spanId',
  'commit',
  'parseError',
  'truncated',
]);
const PROMOTED = ['resourceId', 'traceId', 'spanId', 'commit'] as const;

export function parseSyslog(text: string, now: Date = new Date()): SyslogRecord {
  const receivedAt = isoOf(now);
  const p = readPri(text);
  const pri = decodePriority(p?.pri ?? DEFAULT_PRI);
  const rest = p ? text.slice(p.end) : text;
  const record: SyslogRecord = {
    message: rest,
    timestamp: receivedAt,
    level: pri.level,
    facility: pri.facility,
    severity: pri.severity,
  };
  if (!p) {
    record.parseError = 'no <PRI> at the start: stored whole, as user.notice (RFC 3164 §4.3.3)';
    return record;
  }

  if (VERSION.test(rest)) {
    let m: ReturnType<typeof parseRfc5424>;
    try {
      m = parseRfc5424(rest);
    } catch (err) {
      record.parseError = (err as Error).message;
      return record;
    }
    if (m.timestamp !== undefined) {
      // RFC 3339 as sent (offset and microseconds kept); a bad one is reported, not fatal.
      if ('error' in parseTimestamp(m.timestamp))
        record.parseError = `RFC 5424 TIMESTAMP ${JSON.stringify(m.timestamp)} is not RFC 3339: time of receipt used`;
      else record.timestamp = m.timestamp;
    }
    record.message = m.message;
    setHeader(record, m.hostname, m.appName, m.procId, m.msgId);
    for (const { id, params } of m.structuredData) {
      const key = HEADER_KEYS.has(id) || id === '__proto__' || Object.hasOwn(record, id) ? `sd_${id}` : id;
      record[key] = params;
      for (const k of PROMOTED) {
        const v = params[k];
        if (record[k] === undefined && v !== undefined) record[k] = Array.isArray(v) ? v[0] : v;
      }
    }
  } else {
    const m = parseRfc3164(rest, now);
    if (m.timestamp !== undefined) record.timestamp = m.timestamp;
    record.message = m.message;
    setHeader(record, m.hostname, m.appName, m.procId, undefined);
  }
  if (record.resourceId === undefined && record.hostname !== undefined) record.resourceId = record.hostname;
  return record;
}

/** A batch shares one receive time: format it once, not per message. */
let lastMs = Number.NaN;
let lastIso = '';
function isoOf(d: Date): string {
  const ms = d.getTime();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = d.toISOString();
  }
  return lastIso;
}

function setHeader(
  r: SyslogRecord,
  hostname: string | undefined,
  appName: string | undefined,
  procId: string | undefined,
  msgId: string | undefined,
): void {
  if (hostname !== undefined) r.hostname = hostname;
  if (appName !== undefined) r.appName = appName;
  if (procId !== undefined) r.procId = procId;
  if (msgId !== undefined) r.msgId = msgId;
}

/**
 * One framed message (bytes as received) → a candidate. Trailing CR/LF/NUL are framing, not
 * text: senders end octet-counted frames and UDP datagrams with a newline (syslog-ng, rsyslog).
 */
export function syslogCandidate(frame: Buffer, truncated: boolean, now: Date): Candidate | null {
  let end = frame.length;
  while (end > 0 && (frame[end - 1] === 0x0a || frame[end - 1] === 0x0d || frame[end - 1] === 0)) end--;
  if (end === 0) return null; // a blank line between frames is not a message
  const record = parseSyslog(frame.toString('utf8', 0, end), now);
  if (truncated) record.truncated = true;
  return { value: record };
}
