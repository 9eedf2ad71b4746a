import type { Candidate } from '../../ingest/candidate.js';
import { levelFromOtelSeverity } from '../../model/level.js';
import { microsToIso } from '../../model/record.js';
import { ApiError } from '../../server/errors.js';
import { isZero, nanosText, timestampValue, toNanos } from './nanos.js';
import { anyValue, field, idHex, putAttributes, ValueError } from './values.js';

type Obj = Record<string, unknown>;

/** Keys the mapping sets itself; an attribute with one of these names is kept as `attributes.<key>`. */
const OWN_KEYS = new Set(['message', 'timestamp', 'traceId', 'spanId', 'id']);

/** Band starts (TRACE, DEBUG, INFO, WARN, ERROR, FATAL): other numbers are kept as `severityNumber`. */
const BAND_STARTS = new Set([1, 5, 9, 13, 17, 21]);

/**
 * An ExportLogsServiceRequest (OTLP/JSON object or protobufjs message) as one candidate per log
 * record, in order. Resource, scope and record attributes are flattened to dotted fields (record
 * wins over scope over resource); severity becomes the level; trace/span ids become hex
 * `traceId`/`spanId`; `service.name` is the `resourceId` unless one is set.
 * The message's structure must be right (else 400: it cannot be decoded); a value that cannot be
 * mapped only fails its own record.
 */
export function otlpToCandidates(request: unknown, nowIso: string): Candidate[] {
  const out: Candidate[] = [];
  for (const rl of list(obj(request, 'request'), 'resourceLogs', 'resource_logs')) {
    const resourceLogs = obj(rl, 'resourceLogs[]');
    const resource = field(resourceLogs, 'resource') as Obj | null | undefined;
    for (const sl of list(resourceLogs, 'scopeLogs', 'scope_logs')) {
      const scopeLogs = obj(sl, 'scopeLogs[]');
      const scope = field(scopeLogs, 'scope') as Obj | null | undefined;
      // Resource and scope fields, once per scope: every record of it starts from a copy.
      let base: Base | ValueError;
      try {
        const fields: Obj = {};
        if (resource && typeof resource === 'object')
          putAttributes(fields, field(resource, 'attributes'), OWN_KEYS);
        if (scope && typeof scope === 'object') {
          const name = field(scope, 'name');
          const version = field(scope, 'version');
          if (typeof name === 'string' && name !== '') fields['otel.scope.name'] = name;
          if (typeof version === 'string' && version !== '') fields['otel.scope.version'] = version;
          putAttributes(fields, field(scope, 'attributes'), OWN_KEYS);
        }
        base = { keys: Object.keys(fields), values: Object.values(fields) };
      } catch (err) {
        if (!(err instanceof ValueError)) throw err;
        base = err;
      }
      for (const record of list(scopeLogs, 'logRecords', 'log_records')) {
        if (base instanceof ValueError) {
          out.push({ error: { code: 'too_deep', message: base.message } });
          continue;
        }
        out.push(mapRecord(obj(record, 'logRecords[]'), base, nowIso));
      }
    }
  }
  return out;
}

/**
 * Resource and scope fields as parallel arrays: copying them into each record with a loop keeps
 * the record a fast-properties object (an object spread of dotted keys measured ~25x slower,
 * mostly in the JSON serialisation after it).
 */
interface Base {
  keys: string[];
  values: unknown[];
}

/** Fields are read as plain properties (not through `field()`): this runs once per log record. */
function mapRecord(r: Obj, base: Base, nowIso: string): Candidate {
  const rec: Obj = {};
  for (let i = 0; i < base.keys.length; i++) rec[base.keys[i]!] = base.values[i];
  try {
    putAttributes(rec, r.attributes, OWN_KEYS);
  } catch (err) {
    if (err instanceof ValueError) return { error: { code: 'too_deep', message: err.message } };
    throw err;
  }
  if (rec.resourceId === undefined && typeof rec['service.name'] === 'string')
    rec.resourceId = rec['service.name'];

  // Time: the event time, else when the collector observed it, else now (set explicitly so an
  // attribute that happens to be called `time` or `ts` is never read as the timestamp).
  const time = toNanos(r.timeUnixNano ?? r.time_unix_nano ?? 0);
  const observed = toNanos(r.observedTimeUnixNano ?? r.observed_time_unix_nano ?? 0);
  if (time === null || observed === null) {
    return {
      error: {
        code: 'invalid_timestamp',
        message: 'timeUnixNano/observedTimeUnixNano must be unsigned 64-bit integers',
      },
    };
  }
  const ns = !isZero(time) ? time : !isZero(observed) ? observed : null;
  if (ns === null) rec.timestamp = nowIso;
  else {
    const ts = timestampValue(ns);
    if (ts === null) {
      return {
        error: { code: 'timestamp_out_of_range', message: `timeUnixNano ${nanosText(ns)} is not a date` },
      };
    }
    rec.timestamp = ts;
    if (ns.sub !== 0) rec.timestampNs = nanosText(ns);
    if (
      !isZero(time) &&
      !isZero(observed) &&
      (observed.micros !== time.micros || observed.sub !== time.sub)
    ) {
      rec.observedTimestamp = microsToIso(observed.micros);
    }
  }

  const number = Number(r.severityNumber ?? r.severity_number ?? 0);
  const text = r.severityText ?? r.severity_text;
  const level = levelFromOtelSeverity(number);
  if (level) {
    rec.level = level;
    if (!BAND_STARTS.has(number)) rec.severityNumber = number;
    if (typeof text === 'string' && text !== '' && text.toLowerCase() !== level) rec.originalLevel = text;
  } else {
    if (number !== 0 && Number.isFinite(number)) rec.severityNumber = number;
    // No (valid) number: the text names the level, through the shared normaliser.
    if (typeof text === 'string' && text !== '') rec.level = text;
  }

  let body: unknown;
  try {
    body = anyValue(r.body);
  } catch (err) {
    if (err instanceof ValueError) return { error: { code: 'too_deep', message: err.message } };
    throw err;
  }
  const eventName = r.eventName ?? r.event_name;
  rec.message = messageOf(body, eventName);
  if (body !== null && typeof body === 'object') rec.body = body;
  if (typeof eventName === 'string' && eventName !== '') rec.eventName = eventName;

  const traceId = idHex(r.traceId ?? r.trace_id, 16);
  const spanId = idHex(r.spanId ?? r.span_id, 8);
  if (traceId !== undefined) rec.traceId = traceId;
  if (spanId !== undefined) rec.spanId = spanId;
  const dropped = Number(r.droppedAttributesCount ?? r.dropped_attributes_count ?? 0);
  if (dropped > 0) rec.droppedAttributesCount = dropped;
  return { value: rec };
}

/**
 * The text full-text search looks at: a string body as is; a map body's `message`/`msg`, else
 * the map as JSON (the map itself is kept as `body`); an empty body falls back to the event name.
 */
function messageOf(body: unknown, eventName: unknown): string {
  if (typeof body === 'string') return body;
  if (body === null || body === undefined) return typeof eventName === 'string' ? eventName : '';
  if (typeof body === 'object' && !Array.isArray(body)) {
    const o = body as Obj;
    if (typeof o.message === 'string') return o.message;
    if (typeof o.msg === 'string') return o.msg;
  }
  return typeof body === 'object' ? JSON.stringify(body) : String(body);
}

function obj(v: unknown, what: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ApiError('invalid_body', `OTLP ${what} must be an object`);
  }
  return v as Obj;
}

function list(o: Obj, camel: string, snake: string): unknown[] {
  const v = field(o, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ApiError('invalid_body', `OTLP ${camel} must be an array`);
  return v;
}
