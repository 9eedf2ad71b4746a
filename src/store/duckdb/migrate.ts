import type { DuckDBConnection } from '@duckdb/node-api';
import { HEX_ID_COLUMNS, LATE_COLUMNS, migrateHexIdsSql } from './schema.js';

/** Tables whose text hex ids still have to move into the integer columns. */
const PENDING_TABLE = 'sawmill_pending_id_migration';

/**
 * Tables from before a column was added (schema.ts LATE_COLUMNS) get it, at the end so every
 * day table keeps one column order (the view unions them by position). Hex trace/span ids
 * stored as text by then move into the integer columns.
 */
export async function migrateColumns(w: DuckDBConnection, tables: readonly string[]): Promise<void> {
  const have = new Set(
    (await w.runAndReadAll(`SELECT table_name || '.' || column_name FROM duckdb_columns()`))
      .getRows()
      .map((r) => r[0] as string),
  );
  const missing = tables.flatMap((t) =>
    LATE_COLUMNS.filter(([c]) => !have.has(`${t}.${c}`)).map(([c, type]) => ({ t, c, type })),
  );
  await w.run(`CREATE TABLE IF NOT EXISTS ${PENDING_TABLE} (tbl VARCHAR PRIMARY KEY)`);
  // DuckDB refuses to commit an UPDATE and an ALTER of one table in one transaction, so the
  // columns come first, with a note of each table whose ids still need moving...
  if (missing.length > 0) {
    await w.run('BEGIN TRANSACTION');
    for (const { t, c, type } of missing) {
      await w.run(`ALTER TABLE ${t} ADD COLUMN ${c} ${type}`);
      if (c === HEX_ID_COLUMNS[0]) await w.run(`INSERT INTO ${PENDING_TABLE} VALUES ($1)`, [t]);
    }
    await w.run('COMMIT');
  }
  // ...then each table's ids move in a transaction that also clears its note (a crash in
  // between leaves the note, and the next start finishes the job).
  const pending = (await w.runAndReadAll(`SELECT tbl FROM ${PENDING_TABLE}`)).getRows();
  for (const [t] of pending) {
    await w.run('BEGIN TRANSACTION');
    for (const sql of migrateHexIdsSql(t as string)) await w.run(sql);
    await w.run(`DELETE FROM ${PENDING_TABLE} WHERE tbl = $1`, [t as string]);
    await w.run('COMMIT');
  }
}
