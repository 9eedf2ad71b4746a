import { useEffect, useState } from 'preact/hooks';
import type { Results } from '../search';
import type { LiveTail } from '../tail';
import { describeRange, type TimeRange } from '../time';

interface Props {
  results: Results;
  range: TimeRange;
  /** The query the server runs, when there is one worth showing. */
  query: string | null;
  live: LiveTail | null;
}

/** How many matched, in what range, how fast, for which composed query, and the live tail's state. */
export function StatusLine({ results, range, query, live }: Props) {
  const count =
    results.total === null
      ? `${results.rows.length}${results.next ? '+' : ''}`
      : results.total.toLocaleString('en');
  return (
    <div class="status" aria-live="polite">
      {results.loading ? (
        <span class="spinner">
          Searching…
          <SlowHint />
        </span>
      ) : results.error ? null : (
        <span class="count" data-testid="match-count">
          {count} {results.total === 1 ? 'match' : 'matches'}
        </span>
      )}
      <span class="range">{describeRange(range)}</span>
      {results.tookMs !== null && !results.loading && <span class="took">{results.tookMs} ms</span>}
      {query && (
        <code class="effective" title="The query the server runs: the query bar AND the field filters">
          {query}
        </code>
      )}
      {live && <span class={`tail-status ${live.status}`}>{tailText(live)}</span>}
    </div>
  );
}

function tailText(live: LiveTail): string {
  if (live.status === 'live') return live.away ? 'Live · paused while you scroll' : 'Live';
  if (live.status === 'off') return 'Live stopped';
  return live.status === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
}

const SLOW_MS = 1500;

/** Shown only when a search takes long: what makes it faster. */
function SlowHint() {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setSlow(true), SLOW_MS);
    return () => clearTimeout(timer);
  }, []);
  return slow ? (
    <span class="slow-hint">
      {' '}
      still working: a narrower time range or a field filter (level, resource) makes it faster
    </span>
  ) : null;
}
