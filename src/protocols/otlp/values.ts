/**
 * OTLP attribute values (AnyValue) as plain JSON values. Works on both OTLP/JSON objects and
 * protobufjs-decoded messages: a set oneof member is an own property in both (protobufjs keeps
 * defaults on the prototype), and int64s arrive as strings/numbers (JSON) or Longs (protobuf).
 */

/** Deeper AnyValue nesting than this is refused (the record model allows 32 levels anyway). */
const MAX_DEPTH = 32;

export class ValueError extends Error {}

type Obj = Record<string, unknown>;

/** `a.b` in OTLP/JSON's lowerCamelCase, or the proto field name some encoders use. */
export function field(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  return v !== undefined || snake === undefined ? v : o[snake];
}

export function anyValue(v: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new ValueError(`attribute values nested deeper than ${MAX_DEPTH} levels`);
  if (v === null || v === undefined || typeof v !== 'object') return null;
  const o = v as Obj;
  if (Object.hasOwn(o, 'stringValue') || Object.hasOwn(o, 'string_value'))
    return String(field(o, 'stringValue', 'string_value') ?? '');
  if (Object.hasOwn(o, 'boolValue') || Object.hasOwn(o, 'bool_value'))
    return field(o, 'boolValue', 'bool_value') === true;
  if (Object.hasOwn(o, 'intValue') || Object.hasOwn(o, 'int_value'))
    return int64(field(o, 'intValue', 'int_value'));
  if (Object.hasOwn(o, 'doubleValue') || Object.hasOwn(o, 'double_value')) {
    const d = field(o, 'doubleValue', 'double_value');
    // proto3 JSON writes NaN and the infinities as strings; JSON has no numbers for them.
    return typeof d === 'number' ? d : typeof d === 'string' && /^-?\d/.test(d) ? Number(d) : String(d);
  }
  if (Object.hasOwn(o, 'arrayValue') || Object.hasOwn(o, 'array_value')) {
    const values = (field(o, 'arrayValue', 'array_value') as Obj | null)?.values;
    return Array.isArray(values) ? values.map((x) => anyValue(x, depth + 1)) : [];
  }
  if (Object.hasOwn(o, 'kvlistValue') || Object.hasOwn(o, 'kvlist_value')) {
    const values = (field(o, 'kvlistValue', 'kvlist_value') as Obj | null)?.values;
    const out: Obj = {};
    if (Array.isArray(values)) {
      for (const kv of values) {
        if (kv === null || typeof kv !== 'object') continue;
        const key = (kv as Obj).key;
        if (typeof key === 'string') out[key] = anyValue((kv as Obj).value, depth + 1);
      }
    }
    return out;
  }
  if (Object.hasOwn(o, 'bytesValue') || Object.hasOwn(o, 'bytes_value')) {
    const b = field(o, 'bytesValue', 'bytes_value');
    // JSON already carries base64; protobuf gives bytes.
    return b instanceof Uint8Array
      ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
      : String(b);
  }
  return null;
}

/** int64: a JS number when exact, else its decimal string. */
function int64(v: unknown): number | string | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (v !== null && typeof v === 'object' && 'low' in v && 'high' in v) {
    const long = v as { low: number; high: number; unsigned?: boolean };
    const n = long.unsigned
      ? (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0)
      : (BigInt(long.high) << 32n) | BigInt(long.low >>> 0);
    return Number.isSafeInteger(Number(n)) ? Number(n) : n.toString();
  }
  return null;
}

/**
 * Attributes into `out` as dotted keys: `{"http": {"method": "GET"}}` (a kvlist value) becomes
 * `http.method`, the same shape as attributes that arrive flat, so one dotted query finds both.
 * Arrays stay arrays. Names in `reserved` are kept as `attributes.<name>`.
 */
export function putAttributes(out: Obj, attributes: unknown, reserved: ReadonlySet<string>): void {
  if (!Array.isArray(attributes)) return;
  for (const kv of attributes) {
    if (kv === null || typeof kv !== 'object') continue;
    const key = (kv as Obj).key;
    if (typeof key !== 'string' || key === '') continue;
    // A name the mapping sets itself (the body is the message, ...) is kept beside it.
    putValue(out, reserved.has(key) ? `attributes.${key}` : key, anyValue((kv as Obj).value));
  }
}

function putValue(out: Obj, key: string, value: unknown): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) putValue(out, `${key}.${k}`, v);
  } else out[key] = value;
}

/** Trace/span ids: bytes (protobuf) or hex (OTLP/JSON); base64 from protobuf-JSON encoders too. */
export function idHex(v: unknown, bytes: number): string | undefined {
  if (v instanceof Uint8Array) {
    let zero = true;
    for (let i = 0; i < v.length && zero; i++) zero = v[i] === 0;
    if (zero) return undefined; // empty or all zeros: "no id" in OTLP
    // protobufjs hands out Buffer slices already; wrap only a plain Uint8Array.
    return (v instanceof Buffer ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)).toString('hex');
  }
  if (typeof v !== 'string' || v === '') return undefined;
  if (v.length === bytes * 2) {
    let hex = true;
    let zero = true;
    for (let i = 0; i < v.length && hex; i++) {
      const c = v.charCodeAt(i) | 0x20; // lower-cases A–F, leaves digits alone
      hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
      if (c !== 48) zero = false;
    }
    if (hex) return zero ? undefined : v.toLowerCase();
  }
  const b = Buffer.from(v, 'base64');
  if (b.length === bytes && /^[A-Za-z0-9+/]+=*$/.test(v)) return b.toString('hex');
  return v; // not an id in either encoding: kept as sent
}
