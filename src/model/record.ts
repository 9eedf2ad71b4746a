/**
 * The one record model every protocol normalises into and every store returns.
 *
 * `StoredRecord` is what travels through the buffer and into a store: one NDJSON line per record
 * (see `toStoredLine`). Keeping the buffer format plain NDJSON lets DuckDB bulk-load a spool segment
 * with `read_ndjson` and lets a RabbitMQ message carry the same bytes.
 */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

/** Keyword fields: exact-match, stored as their own columns. */
export const KEYWORD_FIELDS = ['resourceId', 'traceId', 'spanId', 'commit'] as const;
export type KeywordField = (typeof KEYWORD_FIELDS)[number];

/** Every field name with a column of its own; anything else lives in `attrs`. */
export const TOP_LEVEL_FIELDS = ['id', 'timestamp', 'level', 'message', ...KEYWORD_FIELDS] as const;

export interface StoredRecord {
  /** Server-assigned, time-sortable 64-bit id, as a decimal string (JS numbers cannot hold it). */
  id: string;
  /** Event time, microseconds since the Unix epoch (UTC). */
  ts: number;
  level: Level;
  message: string;
  resourceId?: string;
  traceId?: string;
  spanId?: string;
  commit?: string;
  /** Every other field, as it came (nested objects kept); addressable by dotted path. */
  attrs: Record<string, unknown>;
  /**
   * Values taken out of `attrs` into the store's attribute columns, by slot (see
   * ingest/attribute-columns.ts); absent when none applies. A store puts them back on reading.
   */
  promoted?: Array<string | null>;
}

/** The shape the API, CLI and UI show: reserved fields first, then the attributes as they came. */
export interface OutputRecord {
  id: string;
  timestamp: string;
  level: Level;
  message: string;
  resourceId?: string;
  traceId?: string;
  spanId?: string;
  commit?: string;
  [field: string]: unknown;
}

export function toOutputRecord(r: StoredRecord): OutputRecord {
  const out: OutputRecord = {
    id: r.id,
    timestamp: microsToIso(r.ts),
    level: r.level,
    message: r.message,
  };
  if (r.resourceId !== undefined) out.resourceId = r.resourceId;
  if (r.traceId !== undefined) out.traceId = r.traceId;
  if (r.spanId !== undefined) out.spanId = r.spanId;
  if (r.commit !== undefined) out.commit = r.commit;
  for (const k in r.attrs) if (!(k in out)) out[k] = r.attrs[k];
  return out;
}

export function toStoredLine(r: StoredRecord): string {
  return JSON.stringify(r);
}

/** RFC 3339 with microseconds when the value has them, milliseconds otherwise. */
export function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString();
  const sub = micros - ms * 1000;
  if (sub === 0) return iso;
  return `${iso.slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
}
