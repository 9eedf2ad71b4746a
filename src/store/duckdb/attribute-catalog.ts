import { type DuckDBConnection, type DuckDBListValue, listValue } from '@duckdb/node-api';
import type { SqlDialect } from '../../query/sql/dialect.js';
import { duckdbDialectFor } from '../../query/sql/duckdb.js';
import type { AttributeColumn } from '../store.js';
import { ATTR_SLOTS, ATTRIBUTE_COLUMNS_TABLE } from './schema.js';

/**
 * Which attribute path each column slot a0…a7 holds (see ingest/attribute-columns.ts). A slot,
 * once given, is never reused: stored rows and spooled lines refer to it by number.
 */
export class AttributeCatalog {
  private list: AttributeColumn[] = [];
  /** The SQL dialect that knows these columns. */
  dialect: SqlDialect = duckdbDialectFor([]);
  /** The same, for rows known to have ASCII messages only (duckdb.ts ASCII_WORD_CHARS). */
  asciiDialect: SqlDialect = duckdbDialectFor([], true);

  get columns(): AttributeColumn[] {
    return this.list;
  }

  async open(w: DuckDBConnection): Promise<void> {
    await w.run(
      `CREATE TABLE IF NOT EXISTS ${ATTRIBUTE_COLUMNS_TABLE} (slot INTEGER PRIMARY KEY, keys VARCHAR[] NOT NULL)`,
    );
    const rows = (
      await w.runAndReadAll(`SELECT slot, keys FROM ${ATTRIBUTE_COLUMNS_TABLE} ORDER BY slot`)
    ).getRows();
    this.set(
      rows.map(([slot, keys]) => ({ slot: Number(slot), keys: (keys as DuckDBListValue).items.map(String) })),
    );
  }

  /** Give `keys` the next slot, committed before this resolves; null when all are taken. */
  async add(w: DuckDBConnection, keys: string[]): Promise<AttributeColumn | null> {
    const known = this.list.find((c) => sameKeys(c.keys, keys));
    if (known) return known;
    if (this.list.length >= ATTR_SLOTS) return null;
    const col = { slot: this.list.length, keys: [...keys] };
    await w.run(`INSERT INTO ${ATTRIBUTE_COLUMNS_TABLE} VALUES ($1, $2::VARCHAR[])`, [
      col.slot,
      listValue(col.keys),
    ]);
    this.set([...this.list, col]);
    return col;
  }

  private set(columns: AttributeColumn[]): void {
    this.list = columns;
    this.dialect = duckdbDialectFor(columns);
    this.asciiDialect = duckdbDialectFor(columns, true);
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
