/**
 * Time ranges as the UI keeps them: strings, relative (`now-15m`) or absolute (RFC 3339), so a
 * shared link or a saved search means "the last hour" whenever it is opened. They are resolved to
 * absolute instants once per run, so the histogram, every page and the export of one run agree.
 */

export interface TimeRange {
  from: string; // '' = open (all time)
  to: string;
}

export const PRESETS: Array<{ key: string; label: string; range: TimeRange }> = [
  { key: '15m', label: 'Last 15 minutes', range: { from: 'now-15m', to: 'now' } },
  { key: '1h', label: 'Last hour', range: { from: 'now-1h', to: 'now' } },
  { key: '24h', label: 'Last 24 hours', range: { from: 'now-24h', to: 'now' } },
  { key: '7d', label: 'Last 7 days', range: { from: 'now-7d', to: 'now' } },
  { key: '30d', label: 'Last 30 days', range: { from: 'now-30d', to: 'now' } },
  { key: 'all', label: 'All time', range: { from: '', to: '' } },
];

export const ALL_TIME: TimeRange = { from: '', to: '' };

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RELATIVE = /^now(?:([+-])(\d+)([smhdw]))?(?:\/([smhd]))?$/;

/** Milliseconds since the epoch, or null when the text is not a time the API would accept. */
export function parseTime(text: string, nowMs: number): number | null {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) {
    const [, sign, amount, unit, round] = rel;
    let ms = nowMs;
    if (sign && amount && unit) ms += (sign === '-' ? -1 : 1) * Number(amount) * UNIT_MS[unit]!;
    if (round) ms -= ms % UNIT_MS[round]!; // UTC, like the server
    return ms;
  }
  if (/^\d+$/.test(t)) {
    // Epoch seconds, ms, µs or ns, told apart by size as the server does.
    const n = Number(t);
    if (t.length <= 11) return n * 1000;
    if (t.length <= 14) return n;
    if (t.length <= 17) return Math.floor(n / 1000);
    return Math.floor(n / 1e6);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  // A date or a time without a zone means UTC, as in the API.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(t)
    ? `${t}T00:00:00Z`
    : /[zZ]|[+-]\d{2}:?\d{2}$/.test(t)
      ? t
      : `${t}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

export interface ResolvedRange {
  fromMs?: number;
  toMs?: number;
}

export function resolveRange(range: TimeRange, nowMs = Date.now()): ResolvedRange {
  const out: ResolvedRange = {};
  if (range.from) out.fromMs = parseTime(range.from, nowMs) ?? undefined;
  if (range.to) out.toMs = parseTime(range.to, nowMs) ?? undefined;
  return out;
}

export const isRelative = (range: TimeRange) => range.from.startsWith('now') || range.to.startsWith('now');

export function presetOf(range: TimeRange): (typeof PRESETS)[number] | undefined {
  return PRESETS.find((p) => p.range.from === range.from && p.range.to === range.to);
}

/** `2023-09-15 08:00:00.000` in UTC: fixed width, sorts as text, no locale surprises. */
export function formatTs(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/(\.\d{3})\d*Z$/, '$1')
    .replace(/Z$/, '');
}

export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

export function describeRange(range: TimeRange): string {
  const preset = presetOf(range);
  if (preset) return preset.label;
  return `${range.from ? formatTs(range.from) : 'the beginning'} → ${range.to ? formatTs(range.to) : 'now'}`;
}
