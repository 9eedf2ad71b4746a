import { parseQuery, QuerySyntaxError } from '../query/parse.js';
import { parseTimeExpr } from '../query/time.js';
import { ApiError } from '../server/errors.js';
import type { SavedSearchInput } from './store.js';

const MAX_NAME = 200;
const MAX_TIME = 64;
const MAX_FILTERS = 32;
const MAX_FILTER_NAME = 256;
const MAX_FILTER_VALUE = 1024;

/**
 * Checks a POSTed saved search field by field and returns only the known fields, so nothing a
 * client adds is stored and echoed back. The query and times are checked with the same parser the
 * search API uses: a saved search that could never run is refused now, not when it is opened.
 */
export function validateSavedSearch(body: unknown): SavedSearchInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad('the body must be a JSON object with "name" and "query"');
  }
  const b = body as Record<string, unknown>;
  const name = b.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME) {
    throw bad(`"name" must be a non-empty string of at most ${MAX_NAME} characters`, 'name');
  }
  const query = b.query ?? '';
  if (typeof query !== 'string') throw bad('"query" must be a string', 'query');
  try {
    parseQuery(query);
  } catch (err) {
    if (err instanceof QuerySyntaxError) {
      throw new ApiError('query_syntax', err.message, { position: err.position, query });
    }
    throw err;
  }
  const out: SavedSearchInput = { name: name.trim(), query };
  for (const key of ['from', 'to'] as const) {
    const v = b[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' || v.length > MAX_TIME) throw bad(`"${key}" must be a time string`, key);
    try {
      parseTimeExpr(v, Date.now());
    } catch (err) {
      throw bad(`"${key}": ${(err as Error).message}`, key);
    }
    out[key] = v;
  }
  if (b.filters !== undefined && b.filters !== null) {
    const f = b.filters;
    if (typeof f !== 'object' || Array.isArray(f)) throw bad('"filters" must be an object', 'filters');
    const entries = Object.entries(f as Record<string, unknown>).filter(([, v]) => v !== '');
    if (entries.length > MAX_FILTERS) throw bad(`at most ${MAX_FILTERS} filters`, 'filters');
    const filters: Record<string, string> = {};
    for (const [k, v] of entries) {
      if (k === '' || k.length > MAX_FILTER_NAME || typeof v !== 'string' || v.length > MAX_FILTER_VALUE) {
        throw bad(`filter ${JSON.stringify(k.slice(0, 40))} must map a field name to a string`, 'filters');
      }
      filters[k] = v;
    }
    if (entries.length > 0) out.filters = filters;
  }
  return out;
}

function bad(message: string, field?: string): ApiError {
  return new ApiError('invalid_body', message, field ? { field } : undefined);
}
