/**
 * Whether a failed delivery says "the store is unavailable right now" rather than "this message
 * cannot be loaded". Transient failures are retried forever (with backoff) and never count as an
 * attempt, so an outage of PostgreSQL does not dead-letter every message in the queue; only a
 * message that fails for a reason of its own, on its own, uses up its attempts.
 */
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);
/**
 * SQLSTATE classes: 08 connection exception, 40 transaction rollback (serialization, deadlock),
 * 53 insufficient resources (disk full, out of memory, too many connections), 57 operator
 * intervention (shutdown, statement timeout), 58 system error (I/O).
 */
const SQLSTATE_TRANSIENT = /^(08|40|53|57|58)[0-9A-Z]{3}$/;
/**
 * A store that is misconfigured rather than down fails every message alike: invalid authorization
 * (28), unknown database (3D000), read-only transaction (25006: a replica after failover), missing
 * table, column or function, permission denied. No message is at fault, so none is dead-lettered.
 */
const SQLSTATE_STORE = /^(28[0-9A-Z]{3}|3D000|25006|42P01|42703|42883|42501)$/;
/** What node-postgres says, without a code, when its connection or pool fails. */
const PG_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|connection error|not queryable/i;

export function isTransientError(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  if (err.name === 'OverloadedError') return true;
  const code = (err as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (NET_CODES.has(code) || SQLSTATE_TRANSIENT.test(code) || SQLSTATE_STORE.test(code))
  )
    return true;
  if (PG_MESSAGES.test(err.message)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isTransientError(e, depth + 1))) return true;
  return err.cause !== undefined && isTransientError(err.cause, depth + 1);
}
