import { DelimitedFramer, type Frame, type Framer } from '../socket/frames.js';

/** Why a connection's framing went wrong; reported (log + metric), never fatal. */
export type FramingProblem = 'bad_octet_count' | 'message_too_large' | 'truncated_frame';

/**
 * Syslog over TCP (RFC 6587): octet counting (`LEN SP MSG`, RFC 5425/6587 §3.4.1, what syslog-ng's
 * `syslog()` and rsyslog's omfwd with RFC 5424 send) or non-transparent framing (each message
 * ends with LF, §3.4.2, what `network()`, logger and most devices send). The first byte of a
 * connection decides — a digit means octet counting, as RFC 6587 §3.4 suggests receivers detect
 * it — and the connection keeps that framing.
 *
 * Octet-counted frames usually end in a newline that is part of the counted bytes (syslog-ng,
 * rsyslog); some senders add one after the frame instead: both are tolerated. A frame whose
 * header is not `digits SP` (a sender that switched framing, or garbage) is read up to the next
 * LF and stored as a message, so nothing is lost and the stream resynchronises.
 */
export class SyslogFramer implements Framer {
  private mode: 'unknown' | 'octet' | 'lf' = 'unknown';
  private readonly lines: DelimitedFramer;
  /** Octet mode: bytes of the current frame still to come, and what has arrived of it. */
  private need = 0;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  /** Bytes of an over-long counted frame to skip once its first `maxBytes` are read. */
  private skip = 0;
  /** Octet mode: partial `LEN SP` header carried over from the previous chunk. */
  private header: Buffer = Buffer.alloc(0);
  /** Octet mode: reading one LF-terminated line after a bad header. */
  private inLine = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onProblem: (problem: FramingProblem, detail: string) => void,
  ) {
    this.lines = new DelimitedFramer(0x0a, maxBytes);
  }

  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    if (this.mode === 'unknown') {
      let i = 0;
      while (i < chunk.length && isSpace(chunk[i]!)) i++;
      if (i === chunk.length) return out;
      this.mode = isDigit(chunk[i]!) ? 'octet' : 'lf';
      chunk = chunk.subarray(i);
    }
    if (this.mode === 'lf') return this.reportLong(this.lines.push(chunk));
    this.pushOctet(chunk, out);
    return out;
  }

  end(): Frame[] {
    if (this.mode === 'lf' || this.inLine) return this.reportLong(this.lines.end());
    if (this.need > 0 && this.bodyBytes > 0) {
      this.onProblem('truncated_frame', `connection closed ${this.need} bytes short of a counted frame`);
      const data = Buffer.concat(this.body);
      this.need = 0;
      this.body = [];
      this.bodyBytes = 0;
      return [{ data, truncated: true }];
    }
    return [];
  }

  private reportLong(frames: Frame[]): Frame[] {
    for (const f of frames)
      if (f.truncated) this.onProblem('message_too_large', `a message was cut at ${this.maxBytes} bytes`);
    return frames;
  }

  private pushOctet(chunk: Buffer, out: Frame[]): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.inLine) {
        const nl = chunk.indexOf(0x0a, pos);
        const part = chunk.subarray(pos, nl === -1 ? chunk.length : nl + 1);
        out.push(...this.reportLong(this.lines.push(part)));
        if (nl === -1) return;
        this.inLine = false;
        pos = nl + 1;
        continue;
      }
      if (this.need > 0) {
        const n = Math.min(this.need, chunk.length - pos);
        this.body.push(chunk.subarray(pos, pos + n));
        this.bodyBytes += n;
        this.need -= n;
        pos += n;
        if (this.need === 0) {
          // Usually the whole frame came in one read: no copy then.
          const data = this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body);
          out.push({ data, truncated: this.skip > 0 });
          this.body = [];
          this.bodyBytes = 0;
        }
        continue;
      }
      // The rest of an over-long frame, after its first `maxBytes` were kept.
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      // Between frames: tolerate newlines (and CR, NUL, spaces) that some senders add after a frame.
      if (this.header.length === 0 && isSpace(chunk[pos]!)) {
        pos++;
        continue;
      }
      pos = this.readHeader(chunk, pos);
    }
  }

  /** Reads `LEN SP`, possibly across chunks. Returns the position after what it consumed. */
  private readHeader(chunk: Buffer, pos: number): number {
    const start = pos;
    while (pos < chunk.length && isDigit(chunk[pos]!) && this.header.length + (pos - start) < 11) pos++;
    const header =
      this.header.length === 0
        ? chunk.subarray(start, pos)
        : Buffer.concat([this.header, chunk.subarray(start, pos)]);
    if (pos === chunk.length && header.length < 11) {
      this.header = header; // the header continues in the next chunk
      return pos;
    }
    this.header = Buffer.alloc(0);
    const len = Number(header.toString('latin1'));
    if (header.length === 0 || header.length > 10 || chunk[pos] !== 0x20 || len === 0) {
      this.onProblem(
        'bad_octet_count',
        `expected "LENGTH SP" of an octet-counted frame, found ${JSON.stringify(
          Buffer.concat([header, chunk.subarray(pos, pos + 16)]).toString('utf8'),
        )}: reading up to the next newline`,
      );
      this.inLine = true;
      // The bytes already consumed as a would-be header belong to the line.
      if (header.length > 0) this.lines.push(header);
      return pos;
    }
    pos++; // SP
    if (len > this.maxBytes) {
      this.onProblem('message_too_large', `a ${len}-byte frame was cut at ${this.maxBytes} bytes`);
      this.need = this.maxBytes;
      this.skip = len - this.maxBytes; // the kept part is returned with `truncated` (pushOctet)
    } else this.need = len;
    return pos;
  }
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isSpace = (c: number) => c === 0x0a || c === 0x0d || c === 0x20 || c === 0x09 || c === 0;
