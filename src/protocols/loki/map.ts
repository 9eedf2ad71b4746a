import type { Candidate } from '../../ingest/candidate.js';
import { type Nanos, nanosText, timestampValue } from '../otlp/nanos.js';

/** One decoded entry, before mapping; `error` when the wire value could not be read. */
export type LokiEntry =
  | { ns: Nanos; line: string; metadata?: Record<string, unknown> }
  | { error: string; code?: 'invalid_timestamp' | 'invalid_message' | 'not_an_object' };

export interface LokiStream {
  labels: Record<string, string>;
  entries: LokiEntry[];
}

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
    // Labels as parallel arrays, copied into each record with a loop: an object spread measured
    // many times slower (and made the records slow to serialise).
    const labelKeys = Object.keys(stream.labels).map(ownKey);
    const labelValues = Object.values(stream.labels);
    for (const entry of stream.entries) {
      if ('error' in entry) {
        out.push({ error: { code: entry.code ?? 'invalid_field', message: entry.error } });
        continue;
      }
      const ts = timestampValue(entry.ns);
      if (ts === null) {
        out.push({
          error: {
            code: 'timestamp_out_of_range',
            message: `timestamp ${nanosText(entry.ns)} ns is not a date`,
          },
        });
        continue;
      }
      // The line's own fields win, then structured metadata, then labels: fill only what is missing.
      let rec = jsonLine(entry.line);
      if (rec) {
        if (rec.timestamp !== undefined) rec['line.timestamp'] = rec.timestamp;
        if (typeof rec.message !== 'string' && typeof rec.msg !== 'string') {
          if (rec.message !== undefined) rec['line.message'] = rec.message;
          rec.message = entry.line;
        }
      } else rec = { message: entry.line };
      if (entry.metadata) {
        for (const k in entry.metadata) {
          const key = ownKey(k);
          if (!(key in rec)) rec[key] = entry.metadata[k];
        }
      }
      for (let i = 0; i < labelKeys.length; i++) {
        const key = labelKeys[i]!;
        if (!(key in rec)) rec[key] = labelValues[i];
      }
      rec.timestamp = ts;
      if (entry.ns.sub !== 0) rec.timestampNs = nanosText(entry.ns);
      out.push({ value: rec });
    }
  }
  return out;
}

/** A label or metadata key the mapping sets itself is kept as `labels.<key>`. */
function ownKey(key: string): string {
  return key === 'message' || key === 'timestamp' ? `labels.${key}` : key;
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
