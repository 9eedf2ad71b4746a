import type { StoredRecord } from '../model/record.js';
import type { AttributeColumn, Store } from '../store/store.js';

export interface PromoterOptions {
  /** Look at one record in this many for candidate paths (sampling keeps ingest cheap). */
  sampleEvery?: number;
  /** Decide after this many sampled records. */
  window?: number;
  /** A path held as a string by at least this share of the sampled records gets a column. */
  minShare?: number;
  /** Paths deeper than this are not considered. */
  maxDepth?: number;
}

/**
 * Moves the values of frequent string attributes (`metadata.parentResourceId`, `service.name`)
 * out of a record's `attrs` JSON into column slots of their own, where the store keeps them
 * dictionary- or FSST-compressed and scans them without parsing JSON: measured on the bench
 * data, 71 → 60 bytes a record and a third less load CPU for that field.
 *
 * Which paths: the ones most sampled records carry as strings. A path gets its slot from the
 * store, which persists it before it resolves, so no spooled line ever names a slot the store
 * does not know. Slots are never reused. Values that are not strings stay in `attrs`, and the
 * store reads a slot's path from `attrs` wherever the slot is empty, so records spooled before
 * a promotion, or with a number at that path, are found all the same.
 */
export class AttributePromoter {
  private columns: AttributeColumn[];
  private readonly sampleEvery: number;
  private readonly window: number;
  private readonly minShare: number;
  private readonly maxDepth: number;
  private seen = 0;
  private sampled = 0;
  private counts = new Map<string, { keys: string[]; n: number }>();
  private deciding = false;

  constructor(
    private readonly store: Required<Pick<Store, 'attributeColumns' | 'addAttributeColumn'>>,
    opts: PromoterOptions = {},
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.columns = store.attributeColumns();
    this.sampleEvery = opts.sampleEvery ?? 16;
    this.window = opts.window ?? 4096;
    // A sparse column costs little (its NULLs are a validity bitmap), so a fifth is enough.
    this.minShare = opts.minShare ?? 0.2;
    this.maxDepth = opts.maxDepth ?? 3;
  }

  /** Split `record.attrs` into `record.promoted` by the current slots; sample it for new ones. */
  apply(record: StoredRecord): void {
    if (++this.seen % this.sampleEvery === 0 && !this.deciding) this.sample(record.attrs);
    if (this.columns.length === 0) return;
    let values: Array<string | null> | undefined;
    for (const col of this.columns) {
      const value = takeString(record, col.keys);
      if (value === undefined) continue;
      values ??= new Array<string | null>(this.columns.length).fill(null);
      values[col.slot] = value;
    }
    record.promoted = values;
  }

  private sample(attrs: Record<string, unknown>): void {
    collectStringPaths(attrs, [], this.maxDepth, this.counts);
    if (++this.sampled < this.window) return;
    const taken = new Set(this.columns.map((c) => pathKey(c.keys)));
    const chosen = [...this.counts.values()]
      .filter((c) => c.n >= this.minShare * this.sampled && !taken.has(pathKey(c.keys)))
      .sort((a, b) => b.n - a.n);
    this.counts = new Map();
    this.sampled = 0;
    if (chosen.length > 0) void this.promote(chosen.map((c) => c.keys));
  }

  private async promote(paths: string[][]): Promise<void> {
    this.deciding = true;
    try {
      for (const keys of paths) {
        const col = await this.store.addAttributeColumn(keys);
        if (!col) break; // no slot left
        // Slot numbers are dense from 0: the slot is also its index in the split values.
        this.columns = [...this.columns, col].sort((a, b) => a.slot - b.slot);
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.deciding = false;
    }
  }
}

const SEP = '\u0000';
const pathKey = (keys: readonly string[]) => keys.join(SEP);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function collectStringPaths(
  obj: Record<string, unknown>,
  prefix: string[],
  depth: number,
  into: Map<string, { keys: string[]; n: number }>,
): void {
  for (const k in obj) {
    const v = obj[k];
    if (typeof v === 'string') {
      const keys = [...prefix, k];
      const key = pathKey(keys);
      const entry = into.get(key);
      if (entry) entry.n++;
      else into.set(key, { keys, n: 1 });
    } else if (depth > 1 && isPlainObject(v)) collectStringPaths(v, [...prefix, k], depth - 1, into);
  }
}

/**
 * Remove and return the string at `keys` in `record.attrs`, or undefined (left in place) when
 * it is absent or not a string. Objects along the path are copied, never changed: a protocol
 * adapter may share one nested object (say, OTLP resource attributes) between records. An object
 * left empty by the removal goes too; the store puts the value back at its path on the way out.
 */
function takeString(record: StoredRecord, keys: readonly string[]): string | undefined {
  const chain: Array<Record<string, unknown>> = [record.attrs];
  for (let i = 0; i < keys.length - 1; i++) {
    const next = chain[i]![keys[i]!];
    if (!isPlainObject(next)) return undefined;
    chain.push(next);
  }
  const last = keys[keys.length - 1]!;
  const value = chain[chain.length - 1]![last];
  if (typeof value !== 'string') return undefined;
  // Rebuild from the innermost object outwards, without the taken key. Copied key by key, not
  // spread and `delete`d: a deletion turns an object into a slow dictionary, and every later
  // JSON.stringify of it pays (measured: 2.7 µs a record for this function alone with delete).
  let child: Record<string, unknown> | undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    const src = chain[i]!;
    const skip = i === chain.length - 1 || child === undefined ? keys[i]! : undefined;
    const copy: Record<string, unknown> = {};
    let n = 0;
    for (const k in src) {
      if (k === skip) continue;
      const v = k === keys[i] && skip === undefined ? child : src[k];
      // A parsed "__proto__" key is an own property: plain assignment would set the prototype.
      if (k === '__proto__')
        Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
      else copy[k] = v;
      n++;
    }
    child = i > 0 && n === 0 ? undefined : copy;
  }
  record.attrs = child ?? {};
  return value;
}
