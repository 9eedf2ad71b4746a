import type { Candidate } from '../../ingest/candidate.js';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import type { ProblemReporter } from './report.js';

/** Values already given the receive time once: refused again, they are reported, not retried. */
const rescued = new WeakSet<object>();

/**
 * One pipeline call for a batch from a socket. Returns what still has to be stored: records the
 * pipeline refused for their timestamp (a device clock in 1970, a BSD date a year off), given the
 * time of receipt with the sent value kept as `originalTimestamp`. Over HTTP such a record gets a
 * per-record error the client can see; a syslog or GELF sender gets no reply, so refusing it
 * would silently lose the line. Other refusals are logged and counted.
 *
 * Throws OverloadedError with nothing of `candidates` stored; the caller retries (TCP) or drops
 * and counts (UDP).
 */
export async function ingestOnce(
  pipeline: IngestPipeline,
  candidates: Candidate[],
  protocol: string,
  reporter: ProblemReporter,
  transport: 'tcp' | 'udp',
  remote?: string,
): Promise<Candidate[]> {
  const outcome = await pipeline.ingest(candidates, protocol);
  const retry: Candidate[] = [];
  for (const e of outcome.errors) {
    const c = candidates[e.index];
    const value = c && 'value' in c ? c.value : undefined;
    if (
      (e.code === 'timestamp_out_of_range' || e.code === 'invalid_timestamp') &&
      value !== null &&
      typeof value === 'object' &&
      !rescued.has(value)
    ) {
      const src = value as Record<string, unknown>;
      const fixed = { ...src, timestamp: new Date().toISOString(), originalTimestamp: src.timestamp };
      rescued.add(fixed);
      retry.push({ value: fixed });
      reporter.problem(transport, e.code, `${e.message}: stored with the time of receipt`, remote);
    } else {
      reporter.problem(transport, `refused_${e.code}`, `record refused: ${e.message}`, remote);
    }
  }
  return retry;
}
