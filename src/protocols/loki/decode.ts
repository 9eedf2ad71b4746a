import { ApiError } from '../../server/errors.js';
import { toNanos } from '../otlp/nanos.js';
import { LabelsError, parseLabels } from './labels.js';
import type { LokiEntry, LokiStream } from './map.js';
import { PushRequest } from './proto/push.js';

type Obj = Record<string, unknown>;

/**
 * `{"streams":[{"stream":{labels},"values":[["<ns>","<line>",{metadata}?], ...]}]}`.
 * A body that is not this shape is a 400; an entry that is wrong fails only itself.
 */
export function decodeJsonPush(text: string): LokiStream[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ApiError('invalid_body', `body is not valid JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ApiError('invalid_body', 'a Loki push body is an object: {"streams":[...]}');
  }
  const streams = (doc as Obj).streams;
  if (!Array.isArray(streams)) throw new ApiError('invalid_body', '"streams" must be an array');
  return streams.map((s, si) => {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      throw new ApiError('invalid_body', `streams[${si}] must be an object`);
    }
    const labels = stringMap((s as Obj).stream ?? {}, `streams[${si}].stream`);
    if (typeof labels === 'string') throw new ApiError('invalid_body', labels);
    const values = (s as Obj).values;
    if (!Array.isArray(values)) throw new ApiError('invalid_body', `streams[${si}].values must be an array`);
    return { labels, entries: values.map((v, vi) => jsonEntry(v, `streams[${si}].values[${vi}]`)) };
  });
}

function jsonEntry(v: unknown, at: string): LokiEntry {
  if (!Array.isArray(v) || v.length < 2 || v.length > 3) {
    return {
      code: 'not_an_object',
      error: `${at} must be ["<unix ns>", "<line>"] or ["<unix ns>", "<line>", {metadata}]`,
    };
  }
  const [ts, line, metadata] = v as [unknown, unknown, unknown];
  // Loki requires a string; a JSON number is accepted too (its last digits may already be lost).
  const ns = typeof ts === 'string' && ts.length > 19 ? null : toNanos(ts);
  if (ns === null)
    return { code: 'invalid_timestamp', error: `${at}[0] must be a unix epoch in nanoseconds as a string` };
  if (typeof line !== 'string')
    return { code: 'invalid_message', error: `${at}[1] (the log line) must be a string` };
  if (metadata === undefined) return { ns, line };
  const md = stringMap(metadata, `${at}[2]`);
  if (typeof md === 'string') return { error: md };
  return { ns, line, metadata: md };
}

/** Labels and structured metadata: string values (numbers and booleans are taken as text). */
function stringMap(v: unknown, at: string): Record<string, string> | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `${at} must be an object of strings`;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') out[k] = x;
    else if (typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
    else return `${at}.${k} must be a string`;
  }
  return out;
}

interface ProtoEntry {
  timestamp?: { seconds?: number | { low: number; high: number }; nanos?: number } | null;
  line?: string;
  structuredMetadata?: Array<{ name?: string; value?: string }>;
}

/** The snappy-decoded protobuf PushRequest. */
export function decodeProtoPush(body: Buffer): LokiStream[] {
  let msg: { streams?: Array<{ labels?: string; entries?: ProtoEntry[] }> };
  try {
    msg = PushRequest.decode(body) as typeof msg;
  } catch (err) {
    throw new ApiError('invalid_body', `body is not a protobuf PushRequest: ${(err as Error).message}`);
  }
  return (msg.streams ?? []).map((s, si) => {
    let labels: Record<string, string>;
    try {
      labels = parseLabels(s.labels ?? '{}');
    } catch (err) {
      if (err instanceof LabelsError)
        throw new ApiError('invalid_body', `streams[${si}].labels: ${err.message}`);
      throw err;
    }
    return { labels, entries: (s.entries ?? []).map((e) => protoEntry(e)) };
  });
}

function protoEntry(e: ProtoEntry): LokiEntry {
  const seconds = e.timestamp?.seconds ?? 0;
  // int64 seconds: a protobufjs Long (signed), or a number when it is small.
  const secs = typeof seconds === 'number' ? seconds : seconds.high * 4_294_967_296 + (seconds.low >>> 0);
  const nanos = e.timestamp?.nanos ?? 0;
  if (secs < 0 || nanos < 0 || nanos > 999_999_999) {
    return { code: 'invalid_timestamp', error: `timestamp ${secs}s ${nanos}ns is not a valid time` };
  }
  const ns = { micros: secs * 1_000_000 + Math.floor(nanos / 1000), sub: nanos % 1000 };
  const md = e.structuredMetadata;
  if (!md || md.length === 0) return { ns, line: e.line ?? '' };
  const metadata: Record<string, string> = {};
  for (const p of md) if (p.name) metadata[p.name] = p.value ?? '';
  return { ns, line: e.line ?? '', metadata };
}
