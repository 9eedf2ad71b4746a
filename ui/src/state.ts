import { FILTERS } from './query';
import { ALL_TIME, type TimeRange } from './time';

/**
 * Everything a shared link must reproduce lives in the URL: the query bar, the field filters, the
 * time range (kept relative when it was picked relative), the expanded record, the open context
 * and live mode. The URL is the source of truth; components read it through this shape.
 */
export interface ViewState {
  q: string;
  range: TimeRange;
  filters: Record<string, string>;
  /** Expanded record id. */
  sel: string | null;
  /** Record whose surrounding context is open. */
  ctx: string | null;
  live: boolean;
}

const FILTER_KEYS = new Set(FILTERS.map((f) => f.key));

export function readUrl(search = location.search): ViewState & { saved: string | null } {
  const p = new URLSearchParams(search);
  const filters: Record<string, string> = {};
  for (const [k, v] of p) {
    if (k.startsWith('f.') && FILTER_KEYS.has(k.slice(2)) && v) filters[k.slice(2)] = v;
  }
  return {
    q: p.get('q') ?? '',
    // No range in the URL means all time: a link without one shows everything it can.
    range: p.has('from') || p.has('to') ? { from: p.get('from') ?? '', to: p.get('to') ?? '' } : ALL_TIME,
    filters,
    sel: p.get('sel'),
    ctx: p.get('ctx'),
    live: p.get('live') === '1',
    saved: p.get('saved'),
  };
}

export function toSearch(s: ViewState): string {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.range.from) p.set('from', s.range.from);
  if (s.range.to) p.set('to', s.range.to);
  for (const def of FILTERS) {
    const v = s.filters[def.key];
    if (v) p.set(`f.${def.key}`, v);
  }
  if (s.sel) p.set('sel', s.sel);
  if (s.ctx) p.set('ctx', s.ctx);
  if (s.live) p.set('live', '1');
  const text = p.toString();
  return text ? `?${text}` : '';
}

/** Pushes a new history entry for a new search; replaces it for a detail (expansion, context). */
export function writeUrl(s: ViewState, mode: 'push' | 'replace'): void {
  const url = `${location.pathname}${toSearch(s)}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (mode === 'push') history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

export function absoluteUrl(s: ViewState): string {
  return `${location.origin}/${toSearch(s)}`;
}

/** The same search expressed as a saved search's fields. */
export function sameSearch(a: ViewState, b: ViewState): boolean {
  return (
    toSearch({ ...a, sel: null, ctx: null, live: false }) ===
    toSearch({ ...b, sel: null, ctx: null, live: false })
  );
}
