/**
 * Errors every store throws the same way, so the API maps them without knowing which store ran
 * the query.
 */

/** A query ran past its time budget and was stopped (API: 503 `query_timeout`). */
export class QueryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`query took longer than ${timeoutMs} ms and was stopped; narrow the time range or the query`);
    this.name = 'QueryTimeoutError';
  }
}
