import { type Limits } from './limits.js';
import { normaliseLevel } from './level.js';
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

export type NormaliseResult = { record: Omit<StoredRecord, 'id'> } | { error: RecordError };

/**
 * Aliases accepted for the reserved fields, in priority order, so pino, bunyan, winston and ECS
 * shaped records work on the plain JSON endpoint without configuration.
 */
const MESSAGE_KEYS = ['message', 'msg'];
const TIMESTAMP_KEYS = ['timestamp', '@timestamp', 'time', 'ts'];

export interface NormaliseContext {
  limits: Limits;
  /** Receive time in µs: the timestamp of records that carry none. */
  nowMicros: number;
  /** Oldest accepted timestamp (µs); with retention on, older records would be deleted at once. */
  minMicros?: number;
}

/** Turn one untrusted candidate into a stored record, or say exactly why not. */
export function normaliseRecord(candidate: unknown, ctx: NormaliseContext): NormaliseResult {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    return fail('not_an_object', `expected a JSON object, got ${typeName(candidate)}`);
  }
  const src = candidate as Record<string, unknown>;

  const messageKey = MESSAGE_KEYS.find((k) => src[k] !== undefined && src[k] !== null);
  if (messageKey === undefined) return fail('missing_message', 'record has no "message" field');
  const message = src[messageKey];
  if (typeof message !== 'string') {
    return fail('invalid_message', `"${messageKey}" must be a string, got ${typeName(message)}`);
  }

  let ts = ctx.nowMicros;
  const tsKey = TIMESTAMP_KEYS.find((k) => src[k] !== undefined && src[k] !== null);
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
  const record: Omit<StoredRecord, 'id'> = { ts, level: lvl.level, message, attrs: {} };
  for (const k of KEYWORD_FIELDS) {
    const v = src[k];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') record[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') record[k] = String(v);
    else return fail('invalid_field', `"${k}" must be a string, got ${typeName(v)}`);
  }

  const attrs = record.attrs;
  for (const k in src) {
    if (k === messageKey || k === tsKey || k === 'level' || (KEYWORD_FIELDS as readonly string[]).includes(k)) continue;
    // The server owns `id`; a client's own id is kept, under `_id`.
    attrs[k === 'id' ? '_id' : k] = src[k];
  }
  if (lvl.original !== undefined) attrs.originalLevel = lvl.original;

  const shape = measure(attrs, ctx.limits);
  if (shape) return { error: shape };
  return { record };
}

/** Depth and leaf-count check without recursion, so a 20,000-deep document cannot blow the stack. */
function measure(attrs: Record<string, unknown>, limits: Limits): RecordError | undefined {
  let fields = 0;
  const stack: Array<[unknown, number]> = [[attrs, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > limits.maxDepth) return { code: 'too_deep', message: `nesting deeper than ${limits.maxDepth} levels` };
    const children = Array.isArray(value) ? value : Object.values(value as object);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
      else if (++fields > limits.maxFields) {
        return { code: 'too_many_fields', message: `more than ${limits.maxFields} fields` };
      }
    }
  }
  return undefined;
}

/**
 * Serialise a record for the buffer. NUL characters (which PostgreSQL text cannot hold) become
 * U+FFFD and lone surrogates are made well-formed, so every spooled line loads into every store.
 */
export function serialiseRecord(record: StoredRecord, limits: Limits): string | RecordError {
  let line = JSON.stringify(record);
  if (/\\u(0000|d[89a-f])/i.test(line)) line = JSON.stringify(sanitise(record));
  if (line.length > limits.maxRecordBytes || (line.length * 3 > limits.maxRecordBytes && Buffer.byteLength(line) > limits.maxRecordBytes)) {
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
