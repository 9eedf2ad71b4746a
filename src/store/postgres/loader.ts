import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { StoredRecord } from '../../model/record.js';
import type { LoadBatch, LoadPart, LoadResult } from '../store.js';
import { daysAhead, type PartitionCache } from './partitions.js';
import { insertRollupSql, MINUTE } from './rollup.js';
import { LOADED, LOGS, SPAN_HEX, spanBits, TRACE_HEX } from './schema.js';

/** A part turned into COPY text, with what the load needs to know about its rows. */
interface PreparedPart {
  key: string;
  copy: string;
  rows: number;
  /** Row counts by minute (µs) and level: the rollup rows, and the days the part needs. */
  minutes: Map<string, { minute: number; level: string; n: number }>;
  maxTs: number;
}

export interface Loaded extends LoadResult {
  maxTs: number;
  /** Rows inserted, by minute (µs): which partitions grew, and by how much. */
  rowsByMinute: Map<number, number>;
}

/**
 * Loads a batch in one transaction: the parts' keys go into `sawmill_loaded` first, with
 * `ON CONFLICT DO NOTHING RETURNING key`, and only the parts whose key came back are copied. A
 * concurrent load of the same key blocks on the key's unique index entry until the first
 * commits, then inserts nothing: exactly once across redelivery and across workers.
 */
export async function loadBatch(
  pool: pg.Pool,
  partitions: PartitionCache,
  batch: LoadBatch,
): Promise<Loaded> {
  const parts = await Promise.all(batch.parts.map(preparePart));
  // Partitions first, outside the transaction (partitions.ts says why). Parts that turn out to
  // have been applied already may create an empty day: harmless.
  // Today and the next days too (cached: free once they exist), so a node that runs for weeks
  // keeps creating days ahead of the records that will need them.
  await partitions.ensure(pool, [
    ...daysAhead(Date.now() * 1000),
    ...parts.flatMap((p) => [...p.minutes.values()].map((m) => m.minute)),
  ]);
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    // Sorted: two batches holding the same keys in different orders (redelivered messages
    // regrouped by other workers) then lock them in the same order, never deadlocking.
    const keys = [...new Set(parts.map((p) => p.key))].sort();
    const { rows } = await c.query<{ key: string }>(
      `INSERT INTO ${LOADED} (key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING key`,
      [keys],
    );
    const fresh = new Set(rows.map((r) => r.key));
    // A key listed twice in one batch is applied once.
    const seen = new Set<string>();
    const todo = parts.filter((p) => fresh.has(p.key) && !seen.has(p.key) && seen.add(p.key));
    let inserted = 0;
    let maxTs = Number.NEGATIVE_INFINITY;
    const rowsByMinute = new Map<number, number>();
    if (todo.some((p) => p.rows > 0)) {
      const stream = c.query(
        copyFrom(`COPY ${LOGS} (${COPY_COLUMNS})
                  FROM STDIN`),
      );
      await pipeline(
        (function* () {
          for (const p of todo) if (p.rows > 0) yield p.copy;
        })(),
        stream,
      );
      inserted = Number(stream.rowCount);
      const counts = todo.flatMap((p) => [...p.minutes.values()]);
      const sql = insertRollupSql(counts);
      await c.query(sql.text, sql.values);
      for (const p of todo) maxTs = Math.max(maxTs, p.maxTs);
      for (const m of counts) rowsByMinute.set(m.minute, (rowsByMinute.get(m.minute) ?? 0) + m.n);
    }
    await c.query('COMMIT');
    const appliedKeys = [...new Set(parts.map((p) => p.key))].filter((k) => fresh.has(k));
    return { inserted, appliedKeys, maxTs, rowsByMinute };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    // A partition this load counted on may have been dropped meanwhile (retention).
    partitions.forget();
    throw err;
  } finally {
    c.release();
  }
}

async function preparePart(part: LoadPart): Promise<PreparedPart> {
  const lines = part.lines ?? (part.file ? (await readFile(part.file, 'utf8')).split('\n') : []);
  const minutes: PreparedPart['minutes'] = new Map();
  let copy = '';
  let rows = 0;
  let maxTs = Number.NEGATIVE_INFINITY;
  for (const line of lines) {
    if (line === '') continue;
    const r = JSON.parse(line) as StoredRecord;
    if (r.promoted?.some((v) => v !== null && v !== undefined)) {
      // The store hands out no attribute columns (attributeColumns() is empty), so no writer
      // should promote; refusing beats storing a record without the values.
      throw new Error(
        `part ${part.key}: a record carries promoted attribute values this store has no columns for`,
      );
    }
    copy += copyLine(r);
    rows++;
    if (r.ts > maxTs) maxTs = r.ts;
    const minute = Math.floor(r.ts / MINUTE) * MINUTE;
    const k = `${minute}\u0000${r.level}`;
    const m = minutes.get(k);
    if (m) m.n++;
    else minutes.set(k, { minute, level: r.level, n: 1 });
  }
  return { key: part.key, copy, rows, minutes, maxTs };
}

export const COPY_COLUMNS =
  'id, ts, level, message, resource_id, trace_id, span_id, commit_id, attrs, trace_w3c, span_w3c';

/** One record as a line of COPY text, in the column order of COPY_COLUMNS. */
export function copyLine(r: StoredRecord): string {
  const attrs = r.attrs && Object.keys(r.attrs).length > 0 ? JSON.stringify(r.attrs) : null;
  // A W3C id goes to its typed column, any other form to the text column (schema.ts).
  const traceW3c = r.traceId !== undefined && TRACE_HEX.test(r.traceId);
  const spanW3c = r.spanId !== undefined && SPAN_HEX.test(r.spanId);
  return `${r.id}\t${microsIso(r.ts)}\t${field(r.level)}\t${field(r.message)}\t${field(r.resourceId)}\t${
    traceW3c ? '\\N' : field(r.traceId)
  }\t${spanW3c ? '\\N' : field(r.spanId)}\t${field(r.commit)}\t${field(attrs)}\t${traceW3c ? r.traceId : '\\N'}\t${
    spanW3c ? spanBits(r.spanId!) : '\\N'
  }\n`;
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY text format: `\N` for NULL; backslash, tab, newline and CR escaped. */
function field(v: string | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  return SPECIAL.test(v) ? v.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : v;
}

/** µs since the epoch as RFC 3339 with all six fraction digits (Date has only three). */
export function microsIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const sub = micros - ms * 1000;
  return `${new Date(ms).toISOString().slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
}
