/**
 * Bloom filters of the message tokens of a block of records (blocks.ts). A filter answers "may
 * this block contain the token?" with no false negatives: a search skips a block only when a
 * token it requires (query/required-tokens.ts) is certainly absent. The layout is persisted, so
 * any change to hashing, keys or tokenisation must bump FILTER_VERSION (older filters are then
 * ignored and their blocks scanned, never trusted).
 */
export const FILTER_VERSION = 2;

/**
 * A token as it appears in a message, extracted by DuckDB's RE2 (blocks.ts): a maximal run of
 * word characters (letters, marks, digits, `_`) with at least one non-digit. Runs of digits alone
 * are left out on purpose (and never required by a query).
 */
export const TOKEN_REGEX = '[\\pL\\pM\\pN_]*[\\pL\\pM_][\\pL\\pM\\pN_]*';

/**
 * The filter's key of a message token. Queries only require ASCII tokens, lowercased
 * (required-tokens.ts); a message token must hash to that key whenever RE2's case-insensitive
 * match would equate them. For ASCII that is lowercase; beyond ASCII, upper- then lower-casing
 * also maps the Kelvin sign to `k` and the long s `ſ` to `s` (the only non-ASCII letters RE2
 * folds onto ASCII ones). Any other mapping it makes only adds false positives.
 */
export function tokenKey(token: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range
  return /^[\x00-\x7f]*$/.test(token) ? token.toLowerCase() : token.toUpperCase().toLowerCase();
}

const HASHES = 7;
const BITS_PER_KEY = 10; // with 7 hashes: ~1% false positives
const MIN_BITS = 256;
/** Beyond this (2 KiB a block) a filter costs more than it saves: the block has none and is scanned. */
const MAX_BITS = 16_384;

/** A filter holding `keys`, or null when there are too many distinct keys to be worth it. */
export function buildFilter(keys: ReadonlySet<string>): Uint8Array | null {
  let bits = MIN_BITS;
  while (bits < keys.size * BITS_PER_KEY) bits *= 2;
  if (bits > MAX_BITS) return null;
  const filter = new Uint8Array(bits / 8);
  for (const key of keys) {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) & (bits - 1);
      filter[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return filter;
}

/**
 * Hashes of recently asked keys: a search asks the same few keys of every block (a phrase's words
 * in turn, so one remembered key would not do). Cleared when it grows, never stale.
 */
const recent = new Map<string, [number, number]>();
const RECENT_KEYS = 256;

function keyHashes(key: string): [number, number] {
  let h = recent.get(key);
  if (h === undefined) {
    if (recent.size >= RECENT_KEYS) recent.clear();
    h = hashes(key);
    recent.set(key, h);
  }
  return h;
}

/** False only if `key` was certainly not among the filter's keys. */
export function mayContain(filter: Uint8Array, key: string): boolean {
  const bits = filter.length * 8;
  const [h1, h2] = keyHashes(key);
  for (let i = 0; i < HASHES; i++) {
    const bit = (h1 + i * h2) & (bits - 1);
    if ((filter[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** Two independent 32-bit FNV-1a hashes of the UTF-16 code units (double hashing). */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  return [a >>> 0, (b | 1) >>> 0];
}
