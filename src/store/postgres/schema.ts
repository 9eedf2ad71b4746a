/**
 * The PostgreSQL layout. `sawmill_logs` is range-partitioned by `ts`, one partition per UTC day
 * (partitions.ts), so retention drops whole tables and a newest-first query walks the newest
 * partition's index first and stops. Indexes are declared on the parent: every partition gets
 * them when it is created. docs/postgres.md has the measurements behind each one.
 *
 * Citus: distribute `sawmill_logs` by `id` (hash). The primary key (ts, id) contains it, as
 * Citus requires of every unique constraint; the other tables are small and would be reference
 * tables (migrations, attribute columns) or distributed by their key (loaded keys, rollup).
 */
export const LOGS = 'sawmill_logs';
export const LOADED = 'sawmill_loaded';
export const MIGRATIONS = 'sawmill_migrations';
export const ROLLUP = 'sawmill_minute_counts';
export const MESSAGE_INDEX = `${LOGS}_message`;

/**
 * W3C trace context ids (32 / 16 lowercase hex digits, what OTLP and tracers send) are kept in
 * `trace_w3c uuid` and `span_w3c bigint` (the 64 bits as a signed integer); any other form stays
 * in `trace_id` / `span_id` as sent, so each value has exactly one place and reads back exactly.
 * Measured against text (1M ids, btree each): same lookup time, half the heap and index bytes.
 */
export const TRACE_HEX = /^[0-9a-f]{32}$/;
export const SPAN_HEX = /^[0-9a-f]{16}$/;
export const TRACE_TEXT = `coalesce(replace(trace_w3c::text, '-', ''), trace_id)`;
export const SPAN_TEXT = `coalesce(lpad(to_hex(span_w3c), 16, '0'), span_id)`;

/** A W3C span id's 64 bits as the signed bigint the column holds (decimal text). */
export function spanBits(hex: string): string {
  return BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
}

/**
 * What every read selects (times as µs text: exact, no float). The aliases must not be `id` or
 * `ts`: ORDER BY resolves a name to an output column first, and would sort by the text.
 */
export const SELECT_RECORD = `id::text AS rid, ((extract(epoch FROM ts) * 1000000)::bigint)::text AS ts_us,
  level, message, resource_id, ${TRACE_TEXT} AS trace_id, ${SPAN_TEXT} AS span_id, commit_id, attrs`;

/** One migration: statements run in one transaction, in order. Never edit one that shipped. */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS_LIST: readonly Migration[] = [
  {
    version: 1,
    name: 'logs, loaded keys, minute rollup',
    statements: [
      // Trusted extension (PG 13+): needs CREATE on the database, not superuser.
      'CREATE EXTENSION IF NOT EXISTS pg_trgm',
      `CREATE TABLE ${LOGS} (
        id bigint NOT NULL,
        ts timestamptz NOT NULL,
        level text NOT NULL,
        message text NOT NULL,
        resource_id text,
        trace_id text,
        span_id text,
        trace_w3c uuid,
        span_w3c bigint,
        commit_id text,
        attrs jsonb,
        PRIMARY KEY (ts, id)
      ) PARTITION BY RANGE (ts)`,
      // The primary key serves newest-N, cursors and context. The rest: tail and context look
      // records up by id; resourceId with newest-first order; keyword exact lookups; message
      // words, phrases, wildcards and regexes through trigrams (a superset of every match).
      `CREATE INDEX ${LOGS}_id ON ${LOGS} (id)`,
      `CREATE INDEX ${LOGS}_resource ON ${LOGS} (resource_id, ts)`,
      // Partial indexes on the text forms: most ids are W3C, so most rows have NULL there, and
      // `trace_id = $1` implies NOT NULL, so the planner uses them.
      `CREATE INDEX ${LOGS}_trace ON ${LOGS} (trace_id) WHERE trace_id IS NOT NULL`,
      `CREATE INDEX ${LOGS}_trace_w3c ON ${LOGS} (trace_w3c)`,
      // A field-less word is also compared with every keyword field (`… OR span_id = $5 OR
      // commit_id = $6`): only with an index on each arm can the planner combine them
      // (BitmapOr) instead of scanning every row for a rare word.
      `CREATE INDEX ${LOGS}_span ON ${LOGS} (span_id) WHERE span_id IS NOT NULL`,
      `CREATE INDEX ${LOGS}_span_w3c ON ${LOGS} (span_w3c)`,
      `CREATE INDEX ${LOGS}_commit ON ${LOGS} (commit_id)`,
      `CREATE INDEX ${MESSAGE_INDEX} ON ${LOGS} USING gin (message gin_trgm_ops)`,
      `CREATE TABLE ${LOADED} (key text PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX ${LOADED}_at ON ${LOADED} (loaded_at)`,
      // Appended to by every load (no update, so concurrent loaders never wait on each other),
      // folded now and then (rollup.ts). `minute`: µs since the epoch.
      `CREATE TABLE ${ROLLUP} (minute bigint NOT NULL, level text NOT NULL, n bigint NOT NULL)`,
      `CREATE INDEX ${ROLLUP}_minute ON ${ROLLUP} (minute)`,
    ],
  },
];
