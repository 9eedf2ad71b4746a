import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { KEYWORD_FIELDS, type KeywordField } from '../../model/record.js';
import type { TokenNeed } from '../../query/required-tokens.js';
import { buildFilter, FILTER_VERSION, mayContain, TOKEN_REGEX, tokenKey } from './token-filter.js';

/**
 * Per-block token filters. Each load numbers the rows it inserts into a day table in blocks of
 * BLOCK_ROWS consecutive rows: the number is stored in the row (`blk`, counting up per table;
 * rows are stored in time order per load, so a block is a narrow time range) and, per block,
 * a Bloom filter of its message tokens (token-filter.ts), its time range and the min/max of the
 * keyword columns a bare word is also compared with. All of it is written in the load's
 * transaction, so blocks and rows commit together, and kept in memory for queries.
 *
 * A query turns its required tokens (query/required-tokens.ts) into the numbers of the blocks
 * that may match, and the SQL reads only rows with those numbers (`blockCondition`: DuckDB
 * evaluates `list_contains` on `blk` in the scan, before it decodes a message). Rows in no block — `blk` NULL (loaded with filters off or from
 * before them) or above the highest block the query knows (committed after it took its list) —
 * are always read. The regex stays the final judge of every row read.
 */
export const BLOCKS_TABLE = 'sawmill_blocks';
const BLOCKS_DDL = `CREATE TABLE IF NOT EXISTS ${BLOCKS_TABLE} (
  table_name VARCHAR NOT NULL, lo UBIGINT NOT NULL, hi UBIGINT NOT NULL,
  t1 BIGINT NOT NULL, t2 BIGINT NOT NULL, v INTEGER NOT NULL, filter BLOB, kw VARCHAR[],
  n INTEGER, ctoks VARCHAR[], ccounts INTEGER[], blk UINTEGER)`;

/** The shape of the blocks one load inserts, as `build` passes them to DuckDB. */
const BLOCKS_JSON = JSON.stringify([
  {
    lo: 'VARCHAR',
    hi: 'VARCHAR',
    t1: 'BIGINT',
    t2: 'BIGINT',
    filter: 'VARCHAR',
    kw: ['VARCHAR'],
    n: 'INTEGER',
    ctoks: ['VARCHAR'],
    ccounts: ['INTEGER'],
    blk: 'UINTEGER',
  },
]);

/** Rows per block: a rare word (1 in 10,000 records) then leaves ~90% of blocks unread. */
export const BLOCK_ROWS = 1024;
/**
 * A table whose admitted blocks are more than this share of its blocks is read whole: the list
 * costs a little per row (below), which half the message filters it spares more than repays.
 */
const WORTH_IT = 0.5;
/**
 * Most blocks a table's list names, else it is read whole. `list_contains` is a linear search a
 * row: on segments written before the process started DuckDB evaluates it once per run of equal
 * `blk` (150 blocks over a 1.4M-row day: 20 ms, 80 without the list), but on rows loaded since,
 * once per row (the same list: 151 ms; `get_bit`, `IN` and an OR of ranges were slower still).
 * Short lists — the windows of a newest-first search — pay off on both.
 */
const MOST_LISTED = 96;
/**
 * Tokens in at least this many of a full block's rows get an exact row count (ASCII blocks only):
 * a common word is then counted without reading a row, while the filter answers for rare ones.
 */
const COUNTED = 8;
/** Keyword columns whose min/max a block keeps, in `kw` order (pairs: min, max). */
const KW_COLUMNS = ['resource_id', 'commit_id', 'trace_id', 'span_id'];
/** Each keyword field's place in KW_COLUMNS. */
const KW_INDEX: Record<KeywordField, number> = { resourceId: 0, commit: 1, traceId: 2, spanId: 3 };

export interface Block {
  /** The rows' `blk`. */
  blk: number;
  /** Oldest and newest timestamp of the block's rows, µs. */
  t1: number;
  t2: number;
  /** null: too many distinct tokens for a filter; the block is always read. */
  filter: Uint8Array | null;
  /** min, max of each of KW_COLUMNS (null: no value in the block). */
  kw: Array<string | null>;
  /** Rows in the block; null once retention trimmed some of them. */
  n: number | null;
  /**
   * Rows containing each token present in at least COUNTED rows (lowercase); null when some
   * message of the block is not ASCII (then RE2's matching and these tokens could disagree), or
   * its rows could not be counted (`build`). Queries take a block with counts for an ASCII one.
   */
  counts: Map<string, number> | null;
}

interface TableBlocks {
  blocks: Block[];
  /** The highest `blk` among `blocks`: every row with a `blk` up to it is in one of them. */
  maxBlk: number;
  /** Some rows have no `blk` (loaded with filters off, or before them): found when opening. */
  unblocked: boolean;
}

/** Which rows of a day table a query reads: the blocks listed, plus every row in no block. */
export interface Restriction {
  blks: number[];
  maxBlk: number;
}

export class BlockIndex {
  /** Replaced, never changed in place: a query keeps the view it started with (`view`). */
  private tables: ReadonlyMap<string, TableBlocks> = new Map();
  private pending: Array<[string, Block]> = [];
  /** Per table, the next block number to give (a rolled-back load only leaves a gap). */
  private readonly next = new Map<string, number>();
  /** Tables with rows outside every block (`blk` NULL), found at open. */
  private readonly unblocked = new Set<string>();

  constructor(
    /** Off: no blocks are built or used (the bench's A/B switch, SAWMILL_TOKEN_FILTERS=off). */
    readonly enabled: boolean,
    /** Rows per block (tests use small blocks to prune often). */
    private readonly blockRows = BLOCK_ROWS,
  ) {}

  /** `tables`: the day tables, each checked for rows outside every block. */
  async open(w: DuckDBConnection, tables: readonly string[]): Promise<void> {
    await w.run(BLOCKS_DDL);
    await w.run(`ALTER TABLE ${BLOCKS_TABLE} ADD COLUMN IF NOT EXISTS blk UINTEGER`);
    // Blocks of another layout are dropped and their rows read whole from then on. Rows of the
    // first layout have no `blk`; rows a later layout numbered lose their numbers here (once),
    // or a query would take them for rows of the blocks it did not list and skip them.
    const stale = (
      await w.runAndReadAll(
        `SELECT table_name, max(blk) FROM ${BLOCKS_TABLE} WHERE v <> $1 AND blk IS NOT NULL GROUP BY ALL`,
        [FILTER_VERSION],
      )
    ).getRows();
    await w.run('BEGIN TRANSACTION');
    for (const [table, maxBlk] of stale) {
      if (!tables.includes(table as string)) continue;
      await w.run(`UPDATE ${table as string} SET blk = NULL WHERE blk <= ${Number(maxBlk)}`);
    }
    await w.run(`DELETE FROM ${BLOCKS_TABLE} WHERE v <> $1 OR blk IS NULL`, [FILTER_VERSION]);
    await w.run('COMMIT');
    if (!this.enabled) return;
    const rows = (
      await w.runAndReadAll(
        `SELECT table_name, t1, t2, filter, kw, n, ctoks, ccounts, blk FROM ${BLOCKS_TABLE} ORDER BY table_name, blk`,
      )
    ).getRows();
    const loaded: Array<[string, Block]> = [];
    for (const r of rows) {
      const filter = r[3] as { bytes: Uint8Array } | null;
      loaded.push([
        r[0] as string,
        {
          blk: r[8] as number,
          t1: Number(r[1] as bigint),
          t2: Number(r[2] as bigint),
          filter: filter === null ? null : new Uint8Array(filter.bytes),
          kw: (r[4] as { items: Array<string | null> }).items,
          n: r[5] as number | null,
          counts: countsOf(r[6]!, r[7]!),
        },
      ]);
    }
    // Only a process with filters off adds such rows, so what is found now holds until closing.
    for (const table of tables) {
      const rows = await w.runAndReadAll(`SELECT EXISTS (SELECT 1 FROM ${table} WHERE blk IS NULL)`);
      if (rows.getRows()[0]![0] === true) this.unblocked.add(table);
    }
    this.tables = withBlocks(this.tables, loaded, this.unblocked);
  }

  /**
   * The `blk` of the first row a load inserts into `table` (rows then count up, BLOCK_ROWS to a
   * number; `blkSql`), or null with filters off: those rows are in no block.
   */
  async firstBlock(w: DuckDBConnection, table: string): Promise<number | null> {
    if (!this.enabled) return null;
    let next = this.next.get(table);
    if (next === undefined) {
      const max = (await w.runAndReadAll(`SELECT max(blk) FROM ${table}`)).getRows()[0]![0];
      next = max === null ? 0 : Number(max) + 1;
    }
    return next;
  }

  /**
   * The `blk` of a load's rows, numbered from `first` in the order they come (null: no block).
   * The loader feeds it rows already sorted: a window without an ORDER BY streams them in that
   * order (11% faster than sorting again in the window, measured). Were the order lost, blocks
   * would span wider time ranges and prune less, but stay correct: a block is whatever rows
   * share a number.
   */
  blkSql(first: number | null): string {
    if (first === null) return 'NULL::UINTEGER';
    return `(${first} + (row_number() OVER () - 1) // ${Math.floor(this.blockRows)})::UINTEGER`;
  }

  /**
   * Records, inside the caller's transaction, the blocks of the rows a load inserted into
   * `table` with `blk` numbers from `first` on (`firstBlock`; `rows` of them).
   */
  async build(w: DuckDBConnection, table: string, first: number | null, rows: number): Promise<void> {
    if (first === null || rows === 0) return;
    const last = first + Math.ceil(rows / Math.floor(this.blockRows)) - 1;
    this.next.set(table, last + 1);
    const kw = KW_COLUMNS.flatMap((c) => [`min(${c})`, `max(${c})`]).join(', ');
    // ASCII messages are lowercased before tokenising (exactly RE2's case folding there); others
    // keep their case and tokenKey folds their tokens.
    const ascii = 'strlen(message) = length(message)';
    // A block cut short (the end of a load) counts proportionally rarer tokens, down to all of them.
    const n = Math.floor(this.blockRows);
    const counted = `c * ${n} >= ${COUNTED} * n`;
    // `c` counts the rows holding a token, not its occurrences: each row sets its bit, numbered by
    // rowid modulo the block size. One INSERT gives a block's rows consecutive rowids, so the bits
    // are distinct — `countable` checks that it did; a block that fails keeps no counts. (Measured on
    // 1M rows: 2.6 µs CPU a row, against 4.2 for list_distinct on every row's tokens.)
    const built = (
      await w.runAndReadAll(
        `WITH r AS (SELECT blk, rowid AS rid, id, ts, message, ${KW_COLUMNS.join(', ')} FROM ${table}
                    WHERE blk BETWEEN ${first} AND ${last}),
         b AS (SELECT blk, min(id)::VARCHAR AS lo, max(id)::VARCHAR AS hi, epoch_us(min(ts)) AS t1,
                      epoch_us(max(ts)) AS t2, [${kw}] AS kw, count(*)::INTEGER AS n,
                      bool_and(${ascii}) AND max(rid) - min(rid) + 1 = count(*) AS countable
               FROM r GROUP BY blk),
         t AS (SELECT blk, tok, bit_count(bitstring_agg((rid % ${n})::INTEGER, 0, ${n - 1}))::INTEGER AS c
               FROM (SELECT blk, rid, unnest(regexp_extract_all(
                       CASE WHEN ${ascii} THEN lower(message) ELSE message END, '${TOKEN_REGEX}')) AS tok FROM r)
               GROUP BY blk, tok),
         k AS (SELECT blk, list(tok) AS toks, list(tok ORDER BY tok) FILTER (WHERE ${counted}) AS ctoks,
                      list(c ORDER BY tok) FILTER (WHERE ${counted}) AS ccounts FROM t JOIN b USING (blk) GROUP BY blk)
         SELECT b.lo, b.hi, b.t1, b.t2, b.kw, k.toks, b.n, b.countable, k.ctoks, k.ccounts, b.blk
         FROM b LEFT JOIN k USING (blk)`,
      )
    ).getRows();
    if (built.length === 0) return;
    const inserted: unknown[] = [];
    for (const r of built) {
      const toks = (r[5] as { items: string[] } | null)?.items ?? [];
      const block: Block = {
        blk: r[10] as number,
        t1: Number(r[2] as bigint),
        t2: Number(r[3] as bigint),
        filter: buildFilter(new Set(toks.map(tokenKey))),
        kw: (r[4] as { items: Array<string | null> }).items,
        n: r[6] as number,
        counts: r[7] === true ? (countsOf(r[8]!, r[9]!) ?? new Map()) : null,
      };
      this.pending.push([table, block]);
      inserted.push({
        lo: r[0],
        hi: r[1],
        t1: block.t1,
        t2: block.t2,
        filter: block.filter && Buffer.from(block.filter).toString('hex'),
        kw: block.kw,
        n: block.n,
        ctoks: block.counts && [...block.counts.keys()],
        ccounts: block.counts && [...block.counts.values()],
        blk: block.blk,
      });
    }
    // All blocks in one JSON parameter: a VALUES list of one placeholder per value took DuckDB
    // ~75 ms to bind for the ~60 blocks of a 60,000-row load (measured).
    await w.run(
      `INSERT INTO ${BLOCKS_TABLE} SELECT $1, lo::UBIGINT, hi::UBIGINT, t1, t2, ${FILTER_VERSION},
         from_hex(filter), kw, n, ctoks, ccounts, blk
       FROM (SELECT unnest(from_json($2::JSON, '${BLOCKS_JSON}'), recursive := true))`,
      [table, JSON.stringify(inserted)],
    );
  }

  /** After COMMIT: queries may rely on the blocks built in the transaction. */
  committed(): void {
    if (this.pending.length > 0) this.tables = withBlocks(this.tables, this.pending, this.unblocked);
    this.pending = [];
  }

  /** After ROLLBACK: the blocks built in the transaction do not exist. */
  rolledBack(): void {
    this.pending = [];
  }

  /** SQL (inside retention's transaction) removing the blocks whose rows are all older than the cutoff. */
  static retentionSql(): string[] {
    return [
      `DELETE FROM ${BLOCKS_TABLE} WHERE t2 < $1::BIGINT`,
      // Partly deleted: the filter still holds (a superset), the row counts no longer do.
      `UPDATE ${BLOCKS_TABLE} SET n = NULL WHERE t1 < $1::BIGINT`,
    ];
  }

  /** After retention committed: forget what `retentionSql` deleted. */
  forgetBefore(cutoff: number): void {
    const next = new Map<string, TableBlocks>();
    for (const [table, tb] of this.tables) {
      const blocks = tb.blocks
        .filter((b) => b.t2 >= cutoff)
        .map((b) => (b.t1 < cutoff ? { ...b, n: null } : b));
      // maxBlk stays: rows of the removed blocks are deleted, the others still in blocks. A
      // table left with no block is simply read whole.
      if (blocks.length > 0) next.set(table, { ...tb, blocks });
    }
    this.tables = next;
  }

  /** The committed blocks as of now, for one query (or one read transaction). */
  view(): BlockView {
    return new BlockView(this.enabled ? this.tables : new Map());
  }
}

export class BlockView {
  constructor(private readonly tables: ReadonlyMap<string, TableBlocks>) {}

  /**
   * The rows of `table` a query needing `need` must read within [from, to], or null to read
   * them all (no filters there, or every block may match).
   */
  restrict(table: string, need: TokenNeed | null, from?: number, to?: number): Restriction | null {
    const tb = this.tables.get(table);
    if (need === null || tb === undefined) return null;
    const inSpan = tb.blocks.filter(
      (b) => (from === undefined || b.t2 >= from) && (to === undefined || b.t1 <= to),
    );
    const hits = inSpan.filter((b) => admits(b, need));
    if (hits.length > inSpan.length * WORTH_IT || hits.length > MOST_LISTED) return null;
    return { blks: hits.map((b) => b.blk), maxBlk: tb.maxBlk };
  }

  /**
   * The highest `blk` of `table` when every row up to it with a time in [from, to] has an ASCII
   * message (every block there has `counts`) and no row of the table lacks a `blk`; else null.
   * A query may then read those rows with ASCII word classes, and leave out newer rows: they
   * were committed after the query took this view.
   */
  asciiThrough(table: string, from?: number, to?: number): number | null {
    const tb = this.tables.get(table);
    if (tb === undefined || tb.unblocked) return null;
    for (const b of tb.blocks) {
      if (b.counts === null && (from === undefined || b.t2 >= from) && (to === undefined || b.t1 <= to))
        return null;
    }
    return tb.maxBlk;
  }

  /**
   * The keyword fields that may equal `value` in some row of `table`: those whose min/max in
   * some block holds it (W3C-shaped ids live in integer columns no block keeps a range of: always
   * a candidate). Every field when the blocks do not describe every row.
   */
  keywordFieldsMayHold(table: string, value: string): KeywordField[] {
    const tb = this.tables.get(table);
    if (tb === undefined || tb.unblocked) return [...KEYWORD_FIELDS];
    return KEYWORD_FIELDS.filter((field) => {
      if ((field === 'traceId' && TRACE_HEX.test(value)) || (field === 'spanId' && SPAN_HEX.test(value))) {
        return true;
      }
      return tb.blocks.some((b) => columnMayHold(b, KW_INDEX[field], value));
    });
  }

  /**
   * The exact number of rows of `table` whose message has the word `key` (one ASCII word run,
   * lowercase) and, with `keywordValue`, no keyword field equal to it — provided the blocks
   * describe every row of the table, which holds only if the table's row count, read in the
   * caller's snapshot, equals `rows`. Null when some block cannot tell.
   */
  exactCount(
    table: string,
    key: string,
    keywordValue: string | null,
  ): { count: number; rows: number } | null {
    const tb = this.tables.get(table);
    if (tb === undefined) return null;
    let count = 0;
    let rows = 0;
    for (const b of tb.blocks) {
      if (b.n === null || b.counts === null || b.filter === null) return null;
      if (keywordValue !== null && keywordMayEqual(b, keywordValue)) return null;
      const c = b.counts.get(key);
      if (c !== undefined) count += c;
      else if (mayContain(b.filter, key)) return null;
      rows += b.n;
    }
    return { count, rows };
  }

  /**
   * Where a newest-first window holding the `n` newest admitted blocks that end before `upper`
   * starts: the window (start, upper] holds every admitted block ending after `start`. Undefined
   * when no more than `n` such blocks end at or after `from`: read all the rest.
   */
  windowStart(need: TokenNeed, n: number, from: number | undefined, upper: number): number | undefined {
    const ends: number[] = [];
    for (const tb of this.tables.values()) {
      for (const b of tb.blocks) {
        if (b.t2 < upper && (from === undefined || b.t2 >= from) && admits(b, need)) ends.push(b.t2);
      }
    }
    if (ends.length <= n) return undefined;
    return ends.sort((a, b) => b - a)[n];
  }

  /**
   * About the share of the `sample` newest blocks ending at or before `upper` that `need` admits
   * (1 when there are none): how sparse the newest matches may be. It only picks a plan.
   */
  admittedShare(need: TokenNeed, upper: number, sample = 64): number {
    // Blocks are kept in load order, mostly time order: each table's last `sample` of them that
    // end by `upper` are nearly its newest, and an estimate needs no sort of every block.
    const newest: Block[] = [];
    for (const tb of this.tables.values()) {
      let taken = 0;
      for (let i = tb.blocks.length - 1; i >= 0 && taken < sample; i--) {
        if (tb.blocks[i]!.t2 <= upper) {
          newest.push(tb.blocks[i]!);
          taken++;
        }
      }
    }
    if (newest.length === 0) return 1;
    newest.sort((a, b) => b.t2 - a.t2).length = Math.min(newest.length, sample);
    return newest.filter((b) => admits(b, need)).length / newest.length;
  }

  /** Blocks, and blocks a query needing `need` would read (diagnostics and tests). */
  stats(need: TokenNeed | null): { blocks: number; admitted: number } {
    let blocks = 0;
    let admitted = 0;
    for (const tb of this.tables.values()) {
      blocks += tb.blocks.length;
      admitted += need === null ? tb.blocks.length : tb.blocks.filter((b) => admits(b, need)).length;
    }
    return { blocks, admitted };
  }
}

/** A copy of `tables` with `added` in it (the tables touched get new arrays). */
function withBlocks(
  tables: ReadonlyMap<string, TableBlocks>,
  added: ReadonlyArray<[string, Block]>,
  unblocked: ReadonlySet<string>,
): Map<string, TableBlocks> {
  const next = new Map(tables);
  const copied = new Set<string>();
  for (const [table, block] of added) {
    let tb = next.get(table);
    if (tb === undefined) {
      tb = { blocks: [], maxBlk: block.blk, unblocked: unblocked.has(table) };
      copied.add(table);
    } else if (!copied.has(table)) {
      tb = { ...tb, blocks: [...tb.blocks] };
      copied.add(table);
    }
    next.set(table, tb);
    tb.blocks.push(block);
    if (block.blk > tb.maxBlk) tb.maxBlk = block.blk;
  }
  return next;
}

function countsOf(toks: DuckDBValue, counts: DuckDBValue): Map<string, number> | null {
  if (toks === null || counts === null) return null;
  const keys = (toks as { items: string[] }).items;
  const ns = (counts as { items: number[] }).items;
  return new Map(keys.map((k, i) => [k, ns[i]!]));
}

/** May some row of the block match? */
function admits(b: Block, need: TokenNeed): boolean {
  switch (need.kind) {
    case 'and':
      return need.children.every((c) => admits(b, c));
    case 'or':
      return need.children.some((c) => admits(b, c));
    case 'text':
      if (b.filter === null || need.keys.every((k) => mayContain(b.filter!, k))) return true;
      return need.keywordValue !== null && keywordMayEqual(b, need.keywordValue);
  }
}

const TRACE_HEX = /^[0-9a-f]{32}$/;
const SPAN_HEX = /^[0-9a-f]{16}$/;
/** The last value asked about and whether it is W3C-shaped: one search asks of every block. */
let hexMemo: { value: string; hex: boolean } = { value: '', hex: false };

/**
 * May a keyword field of the block equal `value` (a bare word also matches resourceId, traceId,
 * spanId and commit exactly)? W3C-shaped ids live in integer columns the block keeps no range of.
 * DuckDB orders VARCHAR by UTF-8 bytes, so the comparison is in that order too. A rare word's
 * search asks this of every block its filter rules out (~10,000 at 10M records), so it allocates
 * nothing.
 */
function keywordMayEqual(b: Block, value: string): boolean {
  if (hexMemo.value !== value) hexMemo = { value, hex: TRACE_HEX.test(value) || SPAN_HEX.test(value) };
  if (hexMemo.hex) return true;
  for (let i = 0; i < KW_COLUMNS.length; i++) if (columnMayHold(b, i, value)) return true;
  return false;
}

/** Whether `value` lies within the block's min/max of KW_COLUMNS[i] (none: no value there). */
function columnMayHold(b: Block, i: number, value: string): boolean {
  const lo = b.kw[2 * i];
  const hi = b.kw[2 * i + 1];
  return lo != null && hi != null && compareUtf8(lo, value) <= 0 && compareUtf8(value, hi) <= 0;
}

/**
 * Compares two strings in the order of their UTF-8 bytes, which is code point order. UTF-16
 * code units agree with it except that surrogates (code points above U+FFFF) must sort after
 * U+E000–U+FFFF: shifting the two ranges past each other restores that.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The condition on `blk` for the rows of a table a query reads: the listed blocks of `r` (null:
 * every block), plus every row in no block — or, with `asciiThrough` (BlockView), only rows up
 * to that block. Null when every row is read. Every value is a number the store computed.
 */
export function blockCondition(r: Restriction | null, asciiThrough: number | null): string | null {
  const listed =
    r === null || r.blks.length === 0
      ? null
      : `list_contains([${r.blks.map((b) => Math.floor(b)).join(',')}]::UINTEGER[], blk)`;
  if (asciiThrough !== null) return r === null ? `blk <= ${Math.floor(asciiThrough)}` : (listed ?? 'FALSE');
  if (r === null) return null;
  const outside = `blk IS NULL OR blk > ${Math.floor(r.maxBlk)}`;
  return listed === null ? `(${outside})` : `(${outside} OR ${listed})`;
}
