/**
 * RFC 5424 after the PRI: `VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
 * STRUCTURED-DATA [SP MSG]`, with `-` (NILVALUE) for absent header fields.
 */
export interface Rfc5424 {
  /** RFC 3339 as sent, or undefined for `-`. */
  timestamp?: string;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  /** SD-ID → params; a param repeated inside one element becomes an array (RFC 5424 §6.3.3). */
  structuredData: Array<{ id: string; params: Record<string, string | string[]> }>;
  message: string;
}

/** `1 ` (or any 1–3 digit version) right after the PRI marks RFC 5424. */
export const VERSION = /^[1-9]\d{0,2} /;

/** Parses `rest` (everything after `<PRI>`); throws an Error saying what is wrong and where. */
export function parseRfc5424(rest: string): Rfc5424 {
  const r = new Reader(rest);
  r.token('VERSION');
  const timestamp = nil(r.token('TIMESTAMP'));
  const hostname = nil(r.token('HOSTNAME'));
  const appName = nil(r.token('APP-NAME'));
  const procId = nil(r.token('PROCID'));
  const msgId = nil(r.token('MSGID'));
  const structuredData = r.structuredData();
  return { timestamp, hostname, appName, procId, msgId, structuredData, message: r.message() };
}

const nil = (v: string): string | undefined => (v === '-' ? undefined : v);

class Reader {
  private pos = 0;
  constructor(private readonly s: string) {}

  /** A header field: non-space characters, followed by one space. */
  token(name: string): string {
    const end = this.s.indexOf(' ', this.pos);
    if (end === -1) throw new Error(`RFC 5424 header ends before ${name} (at character ${this.pos})`);
    if (end === this.pos) throw new Error(`RFC 5424 ${name} is empty (at character ${this.pos})`);
    const v = this.s.slice(this.pos, end);
    this.pos = end + 1;
    return v;
  }

  structuredData(): Rfc5424['structuredData'] {
    const out: Rfc5424['structuredData'] = [];
    if (this.s[this.pos] === '-') {
      this.pos++;
      return out;
    }
    if (this.s[this.pos] !== '[') {
      throw new Error(`RFC 5424 STRUCTURED-DATA must be "-" or start with "[" (at character ${this.pos})`);
    }
    while (this.s[this.pos] === '[') out.push(this.element());
    return out;
  }

  message(): string {
    if (this.pos >= this.s.length) return '';
    if (this.s[this.pos] !== ' ')
      throw new Error(`RFC 5424 expects a space after STRUCTURED-DATA (at character ${this.pos})`);
    let msg = this.s.slice(this.pos + 1);
    // §6.4: MSG may start with a UTF-8 BOM to say it is UTF-8; it is not part of the text.
    if (msg.charCodeAt(0) === 0xfeff) msg = msg.slice(1);
    return msg;
  }

  /** `[SD-ID *(SP PARAM-NAME="value")]`; values escape `"`, `\` and `]` with a backslash. */
  private element(): { id: string; params: Record<string, string | string[]> } {
    const start = this.pos;
    this.pos++; // [
    const id = this.name('SD-ID');
    const params: Record<string, string | string[]> = {};
    for (;;) {
      const c = this.s[this.pos];
      if (c === ']') {
        this.pos++;
        return { id, params };
      }
      if (c !== ' ') {
        throw new Error(
          c === undefined
            ? `RFC 5424 SD-ELEMENT opened at character ${start} is not closed`
            : `RFC 5424 SD-ELEMENT "${id}": expected " " or "]" at character ${this.pos}, found ${JSON.stringify(c)}`,
        );
      }
      this.pos++;
      const name = this.name('PARAM-NAME');
      if (this.s[this.pos] !== '=' || this.s[this.pos + 1] !== '"') {
        throw new Error(`RFC 5424 SD-PARAM "${name}": expected ="value" at character ${this.pos}`);
      }
      this.pos += 2;
      const value = this.value();
      const prev = Object.hasOwn(params, name) ? params[name] : undefined;
      const next = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      // Assigning `__proto__` would set the prototype instead of adding a key.
      if (name === '__proto__')
        Object.defineProperty(params, name, {
          value: next,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else params[name] = next;
    }
  }

  /** SD-NAME: printable US-ASCII except `=`, space, `]` and `"` (§6.3.2), 1–32 characters. */
  private name(what: string): string {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c <= 32 || c >= 127 || c === 61 || c === 93 || c === 34) break;
      this.pos++;
    }
    if (this.pos === start) throw new Error(`RFC 5424 ${what} is empty (at character ${start})`);
    return this.s.slice(start, this.pos);
  }

  private value(): string {
    // Fast path: no backslash before the closing quote (nearly every value).
    const quote = this.s.indexOf('"', this.pos);
    if (quote !== -1) {
      const slash = this.s.indexOf('\\', this.pos);
      if (slash === -1 || slash > quote) {
        const v = this.s.slice(this.pos, quote);
        this.pos = quote + 1;
        return v;
      }
    }
    let out = '';
    let from = this.pos;
    for (let i = this.pos; i < this.s.length; i++) {
      const c = this.s[i];
      if (c === '"') {
        this.pos = i + 1;
        return out + this.s.slice(from, i);
      }
      if (c === '\\') {
        const next = this.s[i + 1];
        // §6.3.3: only \" \\ \] are escapes; a backslash before anything else is kept as is.
        if (next === '"' || next === '\\' || next === ']') {
          out += this.s.slice(from, i) + next;
          i++;
          from = i + 1;
        }
      }
    }
    throw new Error(`RFC 5424 PARAM-VALUE starting at character ${this.pos} has no closing quote`);
  }
}
