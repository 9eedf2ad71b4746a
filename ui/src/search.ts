import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, api, type FieldSummary, type Histogram, type LogRecord, type Scope } from './api';

export const FIRST_PAGE = 200;
export const NEXT_PAGE = 500;

export interface Results {
  scope: Scope | null;
  rows: LogRecord[];
  next: string | null;
  /** Exact number of matches, from the histogram's buckets (the search itself skips the count). */
  total: number | null;
  histogram: Histogram | null;
  fields: FieldSummary[] | null;
  loading: boolean;
  loadingMore: boolean;
  error: ApiFailure | null;
  tookMs: number | null;
  /** performance.now() when the rows last changed because data arrived: the render budget's start. */
  dataAt: number;
}

const EMPTY: Results = {
  scope: null,
  rows: [],
  next: null,
  total: null,
  histogram: null,
  fields: null,
  loading: false,
  loadingMore: false,
  error: null,
  tookMs: null,
  dataAt: 0,
};

const asFailure = (err: unknown) =>
  err instanceof ApiFailure ? err : new ApiFailure('internal', (err as Error).message, 0);

/**
 * One search run: first page and histogram requested together (what the user waits for), then the
 * field summary, and more pages through the cursor on demand. A new run aborts the last one,
 * so a slow old answer never overwrites a newer one.
 */
export function useSearch() {
  const [state, setState] = useState<Results>(EMPTY);
  const controller = useRef<AbortController | null>(null);
  const current = useRef<Results>(EMPTY);
  current.current = state;

  const run = useCallback((scope: Scope) => {
    controller.current?.abort();
    const ac = new AbortController();
    controller.current = ac;
    setState((s) => ({ ...s, scope, loading: true, loadingMore: false, error: null }));
    const started = performance.now();
    const page = api.search(scope, FIRST_PAGE, null, ac.signal);
    const histogram = api.histogram(scope, ac.signal);
    page.then(
      (p) => {
        if (ac.signal.aborted) return;
        setState((s) => ({
          ...s,
          rows: p.hits,
          next: p.next,
          loading: false,
          error: null,
          tookMs: Math.round(performance.now() - started),
          dataAt: performance.now(),
        }));
      },
      (err) => {
        if (ac.signal.aborted) return;
        setState((s) => ({
          ...s,
          rows: [],
          next: null,
          total: null,
          histogram: null,
          loading: false,
          error: asFailure(err),
        }));
      },
    );
    histogram.then(
      (h) => {
        if (ac.signal.aborted) return;
        setState((s) => ({ ...s, histogram: h, total: h.buckets.reduce((n, b) => n + b.total, 0) }));
      },
      () => {
        // The page's own request reports the same error; a histogram alone failing leaves it empty.
        if (!ac.signal.aborted) setState((s) => ({ ...s, histogram: null, total: null }));
      },
    );
    // The sidebar waits for what the user is waiting for: on a 2-core server it would compete with it.
    Promise.allSettled([page, histogram]).then(() => {
      if (ac.signal.aborted) return;
      api.fields(scope, ac.signal).then(
        (f) => !ac.signal.aborted && setState((s) => ({ ...s, fields: f.fields })),
        () => !ac.signal.aborted && setState((s) => ({ ...s, fields: null })),
      );
    });
  }, []);

  const loadMore = useCallback(() => {
    const s = current.current;
    if (!s.scope || !s.next || s.loading || s.loadingMore || s.error) return;
    const ac = controller.current;
    setState((x) => ({ ...x, loadingMore: true }));
    api.search(s.scope, NEXT_PAGE, s.next, ac?.signal).then(
      (p) => {
        if (ac?.signal.aborted) return;
        setState((x) => ({
          ...x,
          rows: [...x.rows, ...p.hits],
          next: p.next,
          loadingMore: false,
          dataAt: performance.now(),
        }));
      },
      (err) => {
        if (ac?.signal.aborted) return;
        setState((x) => ({ ...x, loadingMore: false, error: asFailure(err) }));
      },
    );
  }, []);

  /** Live tail: newest first, so new records go on top; ids already shown are skipped. */
  const prepend = useCallback((records: LogRecord[]) => {
    setState((s) => {
      const seen = new Set(s.rows.slice(0, 2000).map((r) => r.id));
      const fresh = records.filter((r) => !seen.has(r.id)).reverse();
      if (fresh.length === 0) return s;
      return {
        ...s,
        rows: [...fresh, ...s.rows],
        total: s.total === null ? null : s.total + fresh.length,
        dataAt: performance.now(),
      };
    });
  }, []);

  useEffect(() => () => controller.current?.abort(), []);
  return { results: state, run, loadMore, prepend };
}
