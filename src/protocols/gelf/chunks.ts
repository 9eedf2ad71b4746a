/**
 * GELF UDP chunking: a message too large for one datagram is split into up to 128 chunks, each
 * `0x1e 0x0f`, an 8-byte message id, a 1-byte sequence number and a 1-byte count, then the data.
 * The spec says all chunks must arrive within 5 seconds; an incomplete message is discarded then.
 *
 * Memory is bounded twice: a message may not grow past `maxMessageBytes`, and all incomplete
 * messages together past `maxPendingBytes` (the oldest are discarded first to make room — under a
 * flood of never-completed chunks, the newest messages still get through).
 */
export const CHUNK_MAGIC_0 = 0x1e;
export const CHUNK_MAGIC_1 = 0x0f;
const HEADER = 12;
const MAX_CHUNKS = 128;

export type ChunkDrop = 'chunk_timeout' | 'bad_chunk' | 'message_too_large' | 'chunk_memory';

interface Partial {
  parts: Array<Buffer | undefined>;
  received: number;
  bytes: number;
  firstAt: number;
}

export interface ChunkOptions {
  timeoutMs: number;
  maxMessageBytes: number;
  maxPendingBytes: number;
  /** One message (or a stray chunk) was discarded. */
  onDrop(reason: ChunkDrop, detail: string): void;
  now?: () => number;
}

export function isChunk(datagram: Buffer): boolean {
  return datagram.length >= 2 && datagram[0] === CHUNK_MAGIC_0 && datagram[1] === CHUNK_MAGIC_1;
}

export class ChunkAssembler {
  /** Insertion order is arrival order of each message's first chunk: the oldest come first. */
  private readonly pending = new Map<string, Partial>();
  private pendingBytes = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: ChunkOptions) {
    this.now = opts.now ?? Date.now;
    this.sweeper = setInterval(() => this.expire(), Math.min(1000, opts.timeoutMs));
    this.sweeper.unref();
  }

  /** Adds one chunk; returns the whole payload when it was the last one missing. */
  add(datagram: Buffer, sender: string): Buffer | null {
    if (datagram.length <= HEADER) {
      this.opts.onDrop('bad_chunk', `a ${datagram.length}-byte chunk has no data after its 12-byte header`);
      return null;
    }
    const seq = datagram[10]!;
    const count = datagram[11]!;
    if (count === 0 || count > MAX_CHUNKS || seq >= count) {
      this.opts.onDrop(
        'bad_chunk',
        `chunk ${seq} of ${count}: the count must be 1–128 and the number below it`,
      );
      return null;
    }
    // Message ids are only unique per sender.
    const key = `${sender}/${datagram.toString('hex', 2, 10)}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { parts: new Array(count), received: 0, bytes: 0, firstAt: this.now() };
      this.pending.set(key, p);
    } else if (p.parts.length !== count) {
      this.discard(
        key,
        p,
        'bad_chunk',
        `chunks of one message disagree on the count (${p.parts.length} vs ${count})`,
      );
      return null;
    }
    if (p.parts[seq] !== undefined) return null; // a duplicate datagram: the first copy counts
    const data = datagram.subarray(HEADER);
    if (p.bytes + data.length > this.opts.maxMessageBytes) {
      this.discard(
        key,
        p,
        'message_too_large',
        `chunked message larger than ${this.opts.maxMessageBytes} bytes`,
      );
      return null;
    }
    this.makeRoom(data.length, key);
    // Copy: the datagram buffer may be a slice of a larger pool kept alive otherwise.
    p.parts[seq] = Buffer.from(data);
    p.received++;
    p.bytes += data.length;
    this.pendingBytes += data.length;
    if (p.received < count) return null;
    this.pending.delete(key);
    this.pendingBytes -= p.bytes;
    return Buffer.concat(p.parts as Buffer[], p.bytes);
  }

  /** Incomplete messages held, and their bytes (for tests and metrics). */
  stats(): { messages: number; bytes: number } {
    return { messages: this.pending.size, bytes: this.pendingBytes };
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [key, p] of this.pending)
      this.discard(key, p, 'chunk_timeout', 'listener closed before all chunks arrived');
  }

  /** Discards what waited longer than the timeout. */
  expire(): void {
    const limit = this.now() - this.opts.timeoutMs;
    for (const [key, p] of this.pending) {
      if (p.firstAt > limit) break; // the rest arrived later
      this.discard(
        key,
        p,
        'chunk_timeout',
        `${p.received} of ${p.parts.length} chunks arrived within ${this.opts.timeoutMs} ms`,
      );
    }
  }

  private makeRoom(bytes: number, keep: string): void {
    for (const [key, p] of this.pending) {
      if (this.pendingBytes + bytes <= this.opts.maxPendingBytes) return;
      if (key === keep) continue;
      this.discard(
        key,
        p,
        'chunk_memory',
        `incomplete chunked messages hold more than ${this.opts.maxPendingBytes} bytes`,
      );
    }
  }

  private discard(key: string, p: Partial, reason: ChunkDrop, detail: string): void {
    this.pending.delete(key);
    this.pendingBytes -= p.bytes;
    this.opts.onDrop(reason, detail);
  }
}
