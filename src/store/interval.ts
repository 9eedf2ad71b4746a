/**
 * Histogram bucket widths a person reads easily. The automatic interval is the smallest one
 * that splits the range into at most `maxBuckets` buckets (Kibana's auto interval does the same).
 */
const S = 1_000_000;
const NICE_INTERVALS = [
  1,
  5,
  10,
  30,
  60,
  5 * 60,
  10 * 60,
  30 * 60,
  3600,
  3 * 3600,
  6 * 3600,
  12 * 3600,
  86400,
  7 * 86400,
  30 * 86400,
  365 * 86400,
].map((s) => s * S);

export function autoInterval(fromMicros: number, toMicros: number, maxBuckets = 120): number {
  const span = Math.max(1, toMicros - fromMicros);
  return NICE_INTERVALS.find((iv) => span / iv <= maxBuckets) ?? NICE_INTERVALS[NICE_INTERVALS.length - 1]!;
}

/** Most buckets one histogram may return, whatever interval is asked for. */
export const MAX_BUCKETS = 5000;
