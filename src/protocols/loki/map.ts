import type { Candidate } from '../../ingest/candidate.js';
import { hasSubMicros, nanosToIso } from '../otlp/nanos.js';

/** One decoded entry, before mapping; `error` when the wire value could not be read. */
export type LokiEntry =
  | { ns: string; line: string; metadata?: Record<string, unknown> }
  | { error: string; code?: 'invalid_timestamp' | 'invalid_message' | 'not_an_object' };

export interface LokiStream {
  labels: Record<string, string>;
  entries: LokiEntry[];
}

/** Names the mapping sets itself: a label or metadata key with one of them is kept as `labels.<key>`. */
const OWN_KEYS = ['message', 'timestamp'] as const;

/**
 * Loki entries as records: stream labels, then structured metadata, then — when the line is a
 * JSON object, as pino-loki and most JSON loggers send — the line's own fields, each overriding
 * the one before. The message is the line's `message`/`msg`, or the line itself. The entry's
 * nanosecond timestamp is the record's time (µs), kept whole as `timestampNs` when it has
 * sub-microsecond digits.
 */
export function lokiToCandidates(streams: LokiStream[]): Candidate[] {
  const out: Candidate[] = [];
  for (const stream of streams) {
    const base: Record<string, unknown> = { ...stream.labels };
    for (const key of OWN_KEYS) moveOwn(base, key);
    for (const entry of stream.entries) {
      if ('error' in entry) {
        out.push({ error: { code: entry.code ?? 'invalid_field', message: entry.error } });
        continue;
      }
      const iso = nanosToIso(entry.ns);
      if (iso === null) {
        out.push({
          error: { code: 'timestamp_out_of_range', message: `timestamp ${entry.ns} ns is not a date` },
        });
        continue;
      }
      const rec: Record<string, unknown> = { ...base };
      if (entry.metadata) {
        for (const k in entry.metadata) rec[k] = entry.metadata[k];
        for (const key of OWN_KEYS) moveOwn(rec, key);
      }
      const parsed = jsonLine(entry.line);
      if (parsed) {
        if ('timestamp' in parsed) {
          parsed['line.timestamp'] = parsed.timestamp;
          delete parsed.timestamp;
        }
        Object.assign(rec, parsed);
        if (typeof parsed.message !== 'string' && typeof parsed.msg !== 'string') {
          if ('message' in parsed) rec['line.message'] = parsed.message;
          rec.message = entry.line;
        }
      } else rec.message = entry.line;
      rec.timestamp = iso;
      if (hasSubMicros(entry.ns)) rec.timestampNs = entry.ns;
      out.push({ value: rec });
    }
  }
  return out;
}

function moveOwn(rec: Record<string, unknown>, key: string): void {
  if (key in rec) {
    rec[`labels.${key}`] = rec[key];
    delete rec[key];
  }
}

/** The line's fields when it is one JSON object; anything else is plain text. */
function jsonLine(line: string): Record<string, unknown> | null {
  const first = line.charCodeAt(0);
  if (first !== 123 /* { */ && !(first <= 32 && line.trimStart().startsWith('{'))) return null;
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
