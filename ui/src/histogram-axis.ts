/**
 * The buckets a histogram's x-axis shows. Bars are drawn 90% of a bucket wide but at most 64 px
 * (wider ones read as a wall), so with few buckets a bar would claim a fraction of the time its
 * width suggests; and uPlot widens a time axis holding one point to a day (86,400 of our ms
 * units). The axis therefore spans at least MIN_BUCKETS buckets, the matches centred in it.
 */
export const MIN_BUCKETS = 16;
/** Most buckets drawn; the API never returns more than about a thousand. */
const MAX_BUCKETS = 5000;

/** Bucket start times (ms) from the one holding `fromMs` to the one holding `toMs`, padded. */
export function bucketAxis(fromMs: number, toMs: number, stepMs: number): number[] {
  const first = Math.floor(fromMs / stepMs) * stepMs;
  const last = Math.max(first, Math.floor(toMs / stepMs) * stepMs);
  const n = Math.min(MAX_BUCKETS, (last - first) / stepMs + 1);
  const pad = Math.max(0, MIN_BUCKETS - n);
  const start = first - Math.floor(pad / 2) * stepMs;
  return Array.from({ length: n + pad }, (_, i) => start + i * stepMs);
}
