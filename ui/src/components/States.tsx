import type { ApiFailure } from '../api';
import { describeRange, type TimeRange } from '../time';

interface EmptyProps {
  /** No query, no filters, all time: the store itself is empty. */
  everything: boolean;
  range: TimeRange;
  filtered: boolean;
  hasQuery: boolean;
  onAllTime(): void;
  onClearFilters(): void;
  onClearQuery(): void;
}

/** Nothing matched: say why it might be and offer the next step as a button. */
export function EmptyState(p: EmptyProps) {
  if (p.everything) {
    return (
      <div class="state empty" data-testid="empty-state">
        <h2>No logs yet</h2>
        <p>Sawmill has not stored any records. Send one and it is searchable within a second:</p>
        <pre>
          {`curl -s ${location.origin}/api/v1/logs -H 'content-type: application/json' \\
  -d '{"level":"info","message":"hello from curl","resourceId":"my-laptop"}'`}
        </pre>
        <p>
          Or point a shipper at <code>{location.origin}/api/v1/logs</code> (JSON, arrays or NDJSON).
        </p>
      </div>
    );
  }
  const allTime = !p.range.from && !p.range.to;
  return (
    <div class="state empty" data-testid="empty-state">
      <h2>No logs match</h2>
      <p>
        Nothing matches {p.hasQuery || p.filtered ? 'this search' : 'anything'} in{' '}
        <strong>{describeRange(p.range)}</strong>.
      </p>
      <div class="state-actions">
        {!allTime && (
          <button type="button" class="primary" onClick={p.onAllTime}>
            Search all time
          </button>
        )}
        {p.filtered && (
          <button type="button" onClick={p.onClearFilters}>
            Clear the field filters
          </button>
        )}
        {p.hasQuery && (
          <button type="button" onClick={p.onClearQuery}>
            Clear the query
          </button>
        )}
      </div>
      <p class="hint">
        Words match whole words in the message, any case; <code>resourceId</code>, <code>traceId</code> and
        friends match exactly (use <code>server-12*</code> for a prefix).
      </p>
    </div>
  );
}

/** A failed search: what went wrong in words, and what to do about it. */
export function ErrorState({ error, onRetry }: { error: ApiFailure; onRetry(): void }) {
  const advice: Record<string, string> = {
    query_syntax: 'Fix the marked part of the query and press Enter.',
    query_timeout:
      'The search ran past the server’s time limit. Narrow the time range or add a field filter.',
    invalid_parameter: 'Check the time range: pick a preset or fix the dates.',
    network: 'Check that the Sawmill server is running, then retry.',
    unavailable: 'The server is starting up or overloaded. Retry in a moment.',
    overloaded: 'The server is overloaded. Retry in a moment.',
    forbidden: 'Your key’s role may not do this. Ask your Sawmill admin for a role with that permission.',
  };
  return (
    <div class="state error" role="alert" data-testid="error-state">
      <h2>
        {error.code === 'query_syntax'
          ? 'The query has a syntax error'
          : error.code === 'forbidden'
            ? 'Not allowed'
            : 'The search failed'}
      </h2>
      <p class="error-message">{error.message}</p>
      <p>{advice[error.code] ?? 'Retry; if it keeps failing, the server log says why.'}</p>
      {error.code !== 'query_syntax' && error.code !== 'forbidden' && (
        <button type="button" class="primary" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
