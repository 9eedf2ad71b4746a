import { ApiError } from '../../server/errors.js';
import type { Candidate } from '../candidate.js';

/**
 * The plain JSON endpoint accepts one record, a JSON array of records, or NDJSON.
 *
 * NDJSON is chosen when the Content-Type says so or when the body is not one JSON document
 * (many shippers send NDJSON as application/json). In NDJSON each line stands alone: a broken
 * line is reported by its line number and the other lines are still stored.
 */
export function parseJsonBody(text: string, contentType: string | undefined): Candidate[] {
  if (text.trim() === '')
    throw new ApiError('empty_body', 'request body is empty; send a JSON record, a JSON array or NDJSON');
  const ndjson = /ndjson|jsonl|json-seq|x-json-stream/i.test(contentType ?? '');
  if (!ndjson) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      // Not one document: more than one line means NDJSON; otherwise it is simply broken JSON.
      if (!/\n\s*\S/.test(text.trim())) throw invalidJson(err);
      return parseNdjson(text);
    }
    if (Array.isArray(doc)) {
      if (doc.length === 0) throw new ApiError('empty_body', 'the JSON array is empty');
      return doc.map((value) => ({ value }));
    }
    return [{ value: doc }];
  }
  return parseNdjson(text);
}

export function parseNdjson(text: string): Candidate[] {
  const out: Candidate[] = [];
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    try {
      out.push({ value: JSON.parse(raw), line });
    } catch (err) {
      out.push({ error: { code: 'invalid_json', message: (err as Error).message }, line });
    }
  }
  if (out.length === 0) throw new ApiError('empty_body', 'request body has no records (only blank lines)');
  return out;
}

function invalidJson(err: unknown): ApiError {
  const message = (err as Error).message;
  const position = /position (\d+)/.exec(message)?.[1];
  return new ApiError(
    'invalid_body',
    `body is not valid JSON: ${message}`,
    position ? { position: Number(position) } : undefined,
  );
}
