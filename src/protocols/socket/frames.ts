/** One message cut from a byte stream; `truncated` when it was longer than the limit. */
export interface Frame {
  data: Buffer;
  truncated: boolean;
}

/** Cuts a TCP byte stream into messages. `end()` returns what a clean close leaves. */
export interface Framer {
  push(chunk: Buffer): Frame[];
  end(): Frame[];
}

/**
 * Messages ended by one delimiter byte: LF for syslog's non-transparent framing (RFC 6587 §3.4.2),
 * NUL for GELF over TCP. Memory stays within `maxBytes` per connection: a longer message is cut
 * at `maxBytes` (returned with `truncated`) and the rest up to the next delimiter is discarded.
 * Chunks are kept as a list until the delimiter arrives, so a message trickling in byte by byte
 * costs one copy, not one per chunk.
 */
export class DelimitedFramer implements Framer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside an over-long message whose first `maxBytes` were already returned. */
  private discarding = false;

  constructor(
    private readonly delimiter: number,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    let start = 0;
    for (let i = chunk.indexOf(this.delimiter, start); i !== -1; i = chunk.indexOf(this.delimiter, start)) {
      if (this.discarding) this.discarding = false;
      else this.emit(chunk.subarray(start, i), out);
      this.pending = [];
      this.pendingBytes = 0;
      start = i + 1;
    }
    if (start < chunk.length && !this.discarding) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > this.maxBytes) {
        out.push({ data: Buffer.concat(this.pending).subarray(0, this.maxBytes), truncated: true });
        this.pending = [];
        this.pendingBytes = 0;
        this.discarding = true;
      }
    }
    return out;
  }

  /** The last message may lack its delimiter (logger, for one, sends none before closing). */
  end(): Frame[] {
    const out: Frame[] = [];
    if (this.pendingBytes > 0 && !this.discarding) this.emit(Buffer.alloc(0), out);
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }

  private emit(tail: Buffer, out: Frame[]): void {
    const data = this.pendingBytes === 0 ? tail : Buffer.concat([...this.pending, tail]);
    if (data.length > this.maxBytes) out.push({ data: data.subarray(0, this.maxBytes), truncated: true });
    else if (data.length > 0) out.push({ data, truncated: false });
  }
}
