/** Typed calls to Sawmill's HTTP API (docs/api.md). Every failure becomes an `ApiFailure`. */

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LEVELS: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export interface LogRecord {
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

export interface SearchPage {
  hits: LogRecord[];
  total: number | null;
  next: string | null;
  tookMs: number;
}

export interface Histogram {
  from: string;
  to: string;
  intervalMs: number;
  buckets: Array<{ ts: string; total: number; counts: Partial<Record<Level, number>> }>;
  tookMs: number;
}

export interface FieldSummary {
  field: string;
  count: number;
  top: Array<{ value: unknown; count: number }>;
}

export interface ContextReply {
  anchor: LogRecord;
  before: LogRecord[];
  after: LogRecord[];
}

export interface SavedSearch {
  id: string;
  name: string;
  query: string;
  from?: string;
  to?: string;
  filters?: Record<string, string>;
  createdAt: string;
}

/** An error reply from the server (`code` from the catalogue) or `network` when there was none. */
export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: { position?: number; [k: string]: unknown },
  ) {
    super(message);
  }
}

/** Time window and query shared by every read endpoint; times already resolved to RFC 3339. */
export interface Scope {
  q: string;
  from?: string;
  to?: string;
}

export function scopeParams(scope: Scope, extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams();
  if (scope.q) p.set('q', scope.q);
  if (scope.from) p.set('from', scope.from);
  if (scope.to) p.set('to', scope.to);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiFailure('network', 'The Sawmill server did not answer.', 0);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiFailure('bad_reply', `Unexpected reply (${res.status}) from ${path}`, res.status);
  }
  if (!res.ok) {
    const e = (body as { error?: { code: string; message: string; details?: ApiFailure['details'] } }).error;
    throw new ApiFailure(e?.code ?? 'internal', e?.message ?? `HTTP ${res.status}`, res.status, e?.details);
  }
  return body as T;
}

export const api = {
  search: (scope: Scope, limit: number, cursor: string | null, signal?: AbortSignal) =>
    request<SearchPage>(
      `/api/v1/search?${scopeParams(scope, { limit: String(limit), total: 'false', ...(cursor ? { cursor } : {}) })}`,
      { signal },
    ),
  histogram: (scope: Scope, signal?: AbortSignal) =>
    request<Histogram>(`/api/v1/histogram?${scopeParams(scope)}`, { signal }),
  fields: (scope: Scope, signal?: AbortSignal) =>
    request<{ fields: FieldSummary[]; sample: number }>(
      `/api/v1/fields?${scopeParams(scope, { sample: '500', top: '10' })}`,
      { signal },
    ),
  /** The server's verdict on a query (its parser, then its store), without searching. */
  validate: (q: string, signal?: AbortSignal) =>
    request<{ valid: boolean; error?: { message: string; details?: { position?: number } } }>(
      `/api/v1/validate?${new URLSearchParams({ q })}`,
      { signal },
    ),
  context: (id: string, n: number, signal?: AbortSignal) =>
    request<ContextReply>(`/api/v1/context/${encodeURIComponent(id)}?before=${n}&after=${n}`, { signal }),
  exportUrl: (scope: Scope, format: 'ndjson' | 'csv') => `/api/v1/export?${scopeParams(scope, { format })}`,
  tailUrl: (q: string) => `/api/v1/tail?${scopeParams({ q })}`,
  savedList: () => request<{ searches: SavedSearch[] }>('/api/v1/saved-searches'),
  savedGet: (id: string) => request<SavedSearch>(`/api/v1/saved-searches/${encodeURIComponent(id)}`),
  savedCreate: (s: Omit<SavedSearch, 'id' | 'createdAt'>) =>
    request<SavedSearch>('/api/v1/saved-searches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(s),
    }),
  savedDelete: (id: string) =>
    request<void>(`/api/v1/saved-searches/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};
