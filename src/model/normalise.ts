import { normaliseLevel } from './level.js';
import type { Limits } from './limits.js';
import { KEYWORD_FIELDS, type StoredRecord } from './record.js';
import { parseTimestamp, typeName } from './timestamp.js';

/** Why one record was refused; reported by index inside the batch reply. */
export interface RecordError {
  code:
    | 'not_an_object'
    | 'missing_message'
    | 'invalid_message'
    | 'invalid_field'
    | 'invalid_timestamp'
    | 'timestamp_out_of_range'
    | 'too_deep'
    | 'too_many_fields'
    | 'record_too_large'
    | 'invalid_json';
  message: string;
}

/** `record.id` is empty: the pipeline assigns ids to the valid records of a batch in one go. */
export type NormaliseResult = { record: StoredRecord } | { error: RecordError };

/**
 * Aliases accepted for the reserved fields, in priority order, so pino, bunyan, winston and ECS
 * shaped records work on the plain JSON endpoint without configuration.
 */
const MESSAGE_KEYS = ['message', 'msg'] as const;
const TIMESTAMP_KEYS = ['timestamp', '@timestamp', 'time', 'ts'] as const;
/** Keys consumed into columns; everything else is kept in `attrs`. */
const COLUMN_KEYS = new Set<string>(['level', ...KEYWORD_FIELDS]);

export interface NormaliseContext {
  limits: Limits;
  /** Receive time in µs: the timestamp of records that carry none. */
  nowMicros: number;
  /** Oldest accepted timestamp (µs); with retention on, older records would be deleted at once. */
  minMicros?: number;
}

/**
 * Turn one untrusted candidate into a stored record, or say exactly why not.
 * This runs once per ingested record: it avoids closures and per-record allocations on purpose
 * (see bench/ for the measurements that shaped it).
 */
export function normaliseRecord(candidate: unknown, ctx: NormaliseContext): NormaliseResult {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    return fail('not_an_object', `expected a JSON object, got ${typeName(candidate)}`);
  }
  const src = candidate as Record<string, unknown>;

  const messageKey = firstPresent(src, MESSAGE_KEYS);
  if (messageKey === undefined) return fail('missing_message', 'record has no "message" field');
  const message = src[messageKey];
  if (typeof message !== 'string') {
    return fail('invalid_message', `"${messageKey}" must be a string, got ${typeName(message)}`);
  }

  let ts = ctx.nowMicros;
  const tsKey = firstPresent(src, TIMESTAMP_KEYS);
  if (tsKey !== undefined) {
    const parsed = parseTimestamp(src[tsKey]);
    if ('error' in parsed) return fail('invalid_timestamp', `"${tsKey}": ${parsed.error}`);
    ts = parsed.micros;
    const min = Math.max(ctx.limits.minTimestampMicros, ctx.minMicros ?? 0);
    if (ts < min || ts > ctx.nowMicros + ctx.limits.maxFutureMicros) {
      const oldest = new Date(min / 1000).toISOString();
      return fail(
        'timestamp_out_of_range',
        `"${tsKey}" ${JSON.stringify(src[tsKey])} is outside the accepted range (${oldest} to now + ${
          ctx.limits.maxFutureMicros / 3_600_000_000
        }h)`,
      );
    }
  }

  const lvl = normaliseLevel(src.level);
  // Every key in its final order, so serialising is one JSON.stringify of a fixed-shape object
  // (undefined keyword fields are left out by JSON.stringify).
  const record: StoredRecord = {
    id: '',
    ts,
    level: lvl.level,
    message,
    resourceId: undefined,
    traceId: undefined,
    spanId: undefined,
    commit: undefined,
    attrs: {},
    promoted: undefined,
  };
  for (const k of KEYWORD_FIELDS) {
    const v = src[k];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') record[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') record[k] = String(v);
    else return fail('invalid_field', `"${k}" must be a string, got ${typeName(v)}`);
  }

  const attrs = record.attrs;
  let fields = 0;
  for (const k in src) {
    if (k === messageKey || k === tsKey || COLUMN_KEYS.has(k)) continue;
    const v = src[k];
    // The server owns `id`; a client's own id is kept, under `_id`.
    attrs[k === 'id' ? '_id' : k] = v;
    if (v !== null && typeof v === 'object') {
      fields = countLeaves(v as object, 2, fields, ctx.limits);
      if (fields < 0) return { error: fields === TOO_DEEP ? tooDeep(ctx.limits) : tooMany(ctx.limits) };
    } else if (++fields > ctx.limits.maxFields) return { error: tooMany(ctx.limits) };
  }
  if (lvl.original !== undefined) attrs.originalLevel = lvl.original;
  return { record };
}

function firstPresent<K extends string>(src: Record<string, unknown>, keys: readonly K[]): K | undefined {
  for (const k of keys) if (src[k] !== undefined && src[k] !== null) return k;
  return undefined;
}

const TOO_DEEP = -1;
const TOO_MANY = -2;

/**
 * Adds the leaves under `value` to `count`; returns TOO_DEEP / TOO_MANY past a limit. Recursion
 * is bounded by `maxDepth`, so a 20,000-deep document is refused after 32 levels, not walked.
 */
function countLeaves(value: object, depth: number, count: number, limits: Limits): number {
  if (depth > limits.maxDepth) return TOO_DEEP;
  if (Array.isArray(value)) {
    for (const v of value) {
      count = v !== null && typeof v === 'object' ? countLeaves(v, depth + 1, count, limits) : count + 1;
      if (count < 0) return count;
      if (count > limits.maxFields) return TOO_MANY;
    }
    return count;
  }
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    count = v !== null && typeof v === 'object' ? countLeaves(v, depth + 1, count, limits) : count + 1;
    if (count < 0) return count;
    if (count > limits.maxFields) return TOO_MANY;
  }
  return count;
}

function tooDeep(limits: Limits): RecordError {
  return { code: 'too_deep', message: `nesting deeper than ${limits.maxDepth} levels` };
}

function tooMany(limits: Limits): RecordError {
  return { code: 'too_many_fields', message: `more than ${limits.maxFields} fields` };
}

/**
 * Serialise a record for the buffer as one NDJSON line. NUL characters (which PostgreSQL text
 * cannot hold) become U+FFFD and lone surrogates are made well-formed, so every spooled line
 * loads into every store.
 */
export function serialiseRecord(record: StoredRecord, limits: Limits): string | RecordError {
  let line = JSON.stringify(record);
  // JSON.stringify escapes exactly NUL-class controls and lone surrogates as \u sequences.
  if (line.includes('\\u') && /\\u(0000|d[89a-f])/i.test(line)) line = JSON.stringify(sanitise(record));
  if (
    line.length > limits.maxRecordBytes ||
    (line.length * 3 > limits.maxRecordBytes && Buffer.byteLength(line) > limits.maxRecordBytes)
  ) {
    return { code: 'record_too_large', message: `record is larger than ${limits.maxRecordBytes} bytes` };
  }
  return line;
}

function sanitise<T>(value: T): T {
  if (typeof value === 'string') return value.toWellFormed().replaceAll('\0', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(sanitise) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[sanitise(k)] = sanitise(v);
    return out as T;
  }
  return value;
}

function fail(code: RecordError['code'], message: string): NormaliseResult {
  return { error: { code, message } };
}
