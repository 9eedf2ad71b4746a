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

/** Who is signed in (`GET /api/v1/session`); `user` is null when nobody is, or access control is off. */
export interface User {
  name: string;
  role: string;
  permissions: string[];
  /** The role's filter: the server ANDs it into every read. */
  filter?: string;
}

export interface Session {
  accessControl: boolean;
  user: User | null;
}

let sessionEnded: () => void = () => undefined;

/**
 * Called once per 401 from any API call but signing in: the session expired or its key was
 * removed. The app shows the sign-in screen instead of an error; the caller still gets the failure.
 */
export function onSessionEnded(handler: () => void): void {
  sessionEnded = handler;
}

async function request<T>(path: string, init: RequestInit = {}, signingIn = false): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiFailure('network', 'The Sawmill server did not answer.', 0);
  }
  // Before the body is read: a proxy's 401 may not be JSON, and it means the same.
  if (res.status === 401 && !signingIn) sessionEnded();
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
  session: () => request<Session>('/api/v1/session'),
  /** Trades a key for the HttpOnly session cookie; a wrong key is a 401 `ApiFailure`, not a session end. */
  signIn: (key: string) =>
    request<Session>(
      '/api/v1/session',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) },
      true,
    ),
  signOut: () => request<void>('/api/v1/session', { method: 'DELETE' }, true),
  /**
   * False (and the sign-in screen shown) when access control is on and nobody is signed in: for
   * what cannot see a 401 itself (the live tail's EventSource, a download).
   */
  sessionHolds: () =>
    request<Session>('/api/v1/session').then(
      (s) => {
        if (s.accessControl && !s.user) {
          sessionEnded();
          return false;
        }
        return true;
      },
      () => true, // the server did not say: let the request itself fail visibly
    ),
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
