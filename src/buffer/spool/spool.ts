import { type FileHandle, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { type LoadBatch, type PartBounds, widenBounds } from '../../store/store.js';
import { type IngestBuffer, OverloadedError } from '../buffer.js';

/**
 * Embedded mode's durable buffer: an append-only spool of NDJSON segment files.
 *
 * Write path (group commit): concurrent `append` calls queue their bytes; one writer drains the
 * queue with a single write + fdatasync and resolves every caller whose bytes it covered. While
 * that fsync runs, the next group collects, so one fsync serves many requests.
 *
 * Read path: the active segment is sealed once its oldest record has waited `maxDelayMs` (the
 * bound on "acknowledged → searchable") or it holds `loadBytes`; sealed segments (oldest first)
 * are delivered to the store in one load. Loads run one at a time, so under heavy ingest the
 * batches grow while the previous load runs — the store gets big, efficient bulk inserts exactly
 * when it needs them, and small prompt ones when traffic is light. A segment file is deleted
 * only after the store committed it; the store records each segment's key in the same
 * transaction as its rows, so a crash between commit and delete cannot load a segment twice.
 *
 * Crash recovery: a `kill -9` during a write can leave a partial last line (never acknowledged);
 * `open` truncates every segment back to its last newline, then all segments are replayed.
 */
export interface SpoolOptions {
  dir: string;
  /** Refuse with 429 when this many bytes wait for the group commit (memory bound). */
  maxPendingBytes: number;
  /** Refuse with 503 when this many bytes are on disk but not yet in the store (disk bound). */
  maxSpoolBytes: number;
  /** Seal and load once this many bytes wait, without waiting for `maxDelayMs`. */
  loadBytes?: number;
  /** Longest time an acknowledged record waits before its segment is sealed for loading. */
  maxDelayMs?: number;
  /** Most bytes of segments loaded in one store transaction. */
  maxLoadBytes?: number;
  onError?: (err: unknown) => void;
}

interface Pending {
  data: Buffer;
  bounds: PartBounds;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Segment {
  seq: number;
  file: string;
  bytes: number;
  /** Known for segments written by this process; unknown after a restart. */
  bounds?: PartBounds;
}

interface ActiveSegment extends Segment {
  fd: FileHandle;
  /** Unset until the first write. */
  bounds?: PartBounds;
  /** When its first acknowledged bytes landed (ms, monotonic). */
  firstWriteAt: number;
}

const SEGMENT_NAME = /^(\d{16})\.ndjson$/;

export class Spool implements IngestBuffer {
  private readonly loadBytes: number;
  private readonly maxDelayMs: number;
  private readonly maxLoadBytes: number;
  private queue: Pending[] = [];
  private pendingBytes = 0;
  private flushQueued = false;
  /** Serialises writes, seals and close: the only code that touches the active file. */
  private chain: Promise<void> = Promise.resolve();
  private active: ActiveSegment | null = null;
  private readonly sealed: Segment[] = [];
  private nextSeq = 1;
  private undeliveredBytes = 0;
  private closing = false;
  private deliveryDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly opts: SpoolOptions) {
    this.loadBytes = opts.loadBytes ?? 48 * 1024 * 1024;
    this.maxDelayMs = opts.maxDelayMs ?? 200;
    this.maxLoadBytes = opts.maxLoadBytes ?? 256 * 1024 * 1024;
  }

  async open(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    // Segment numbers double as exactly-once keys in the store, so they must never repeat, also
    // after every segment was loaded and deleted: start each run past the clock in µs.
    this.nextSeq = Date.now() * 1000;
    const names = (await readdir(this.opts.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    for (const name of names) {
      const file = path.join(this.opts.dir, name);
      const bytes = await truncateToLastNewline(file);
      const seq = Number(SEGMENT_NAME.exec(name)![1]);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      if (bytes === 0) await unlink(file);
      else {
        this.sealed.push({ seq, file, bytes });
        this.undeliveredBytes += bytes;
      }
    }
  }

  append(lines: string[], bounds: PartBounds): Promise<void> {
    if (this.closing) return Promise.reject(new OverloadedError('server is shutting down', 503, 1));
    if (this.undeliveredBytes > this.opts.maxSpoolBytes) {
      return Promise.reject(
        new OverloadedError('the store is behind: spool backlog is over its limit', 503, 5),
      );
    }
    const data = Buffer.from(`${lines.join('\n')}\n`);
    if (this.pendingBytes + data.length > this.opts.maxPendingBytes) {
      return Promise.reject(new OverloadedError('too many bytes waiting for the disk', 429, 1));
    }
    this.pendingBytes += data.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data, bounds, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        void this.serially(() => this.flushOnce());
      }
    });
  }

  depthBytes(): number {
    return this.undeliveredBytes + this.pendingBytes;
  }

  startDelivery(deliver: (batch: LoadBatch) => Promise<void>): void {
    if (this.deliveryDone) throw new Error('delivery already started');
    this.deliveryDone = this.deliveryLoop(deliver);
  }

  /** Resolves once every sealed segment present now has been delivered (tests, shutdown). */
  async drain(): Promise<void> {
    await this.serially(() => this.sealActive());
    const target = this.nextSeq;
    while (this.sealed.length > 0 && this.sealed[0]!.seq < target) {
      this.wake?.();
      await sleep(10);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.serially(() => this.sealActive());
    this.wake?.();
    await this.deliveryDone;
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /** One group commit: everything queued so far, one write, one fdatasync. */
  private async flushOnce(): Promise<void> {
    this.flushQueued = false;
    const group = this.queue;
    this.queue = [];
    if (group.length === 0) return;
    const data = group.length === 1 ? group[0]!.data : Buffer.concat(group.map((p) => p.data));
    let committed = false;
    try {
      const seg = await this.ensureActive();
      try {
        await writeAll(seg.fd, data);
        await seg.fd.datasync();
      } catch (err) {
        // Leave no partial line behind: these records were never acknowledged.
        await seg.fd.truncate(seg.bytes).catch(() => {});
        throw err;
      }
      if (seg.bytes === 0) seg.firstWriteAt = performance.now();
      seg.bytes += data.length;
      for (const p of group) {
        if (seg.bounds) widenBounds(seg.bounds, p.bounds);
        else seg.bounds = { ...p.bounds };
      }
      this.undeliveredBytes += data.length;
      committed = true;
      if (seg.bytes >= this.loadBytes) this.wake?.();
    } catch (err) {
      const refusal =
        (err as NodeJS.ErrnoException).code === 'ENOSPC' ? new OverloadedError('disk is full', 503, 30) : err;
      for (const p of group) p.reject(refusal);
      this.opts.onError?.(err);
    } finally {
      this.pendingBytes -= data.length;
    }
    if (committed) for (const p of group) p.resolve();
  }

  private async ensureActive(): Promise<ActiveSegment> {
    if (this.active) return this.active;
    const seq = this.nextSeq++;
    const file = path.join(this.opts.dir, `${String(seq).padStart(16, '0')}.ndjson`);
    const fd = await open(file, 'a');
    await fsyncDir(this.opts.dir); // the new file's directory entry must survive a crash too
    this.active = { seq, file, bytes: 0, fd, firstWriteAt: 0 };
    return this.active;
  }

  private async sealActive(): Promise<void> {
    const seg = this.active;
    if (!seg) return;
    this.active = null;
    await seg.fd.close();
    if (seg.bytes === 0) await unlink(seg.file);
    else this.sealed.push({ seq: seg.seq, file: seg.file, bytes: seg.bytes, bounds: seg.bounds });
  }

  private async deliveryLoop(deliver: (batch: LoadBatch) => Promise<void>): Promise<void> {
    let backoffMs = 100;
    for (;;) {
      if (this.sealed.length === 0) {
        if (this.closing) return;
        const active = this.active;
        const waited = active && active.bytes > 0 ? performance.now() - active.firstWriteAt : 0;
        if (active && (waited >= this.maxDelayMs || active.bytes >= this.loadBytes)) {
          await this.serially(() => this.sealActive());
        } else {
          const due = active && active.bytes > 0 ? this.maxDelayMs - waited : this.maxDelayMs;
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, Math.max(5, due)).unref();
          });
          this.wake = null;
        }
        continue;
      }
      const parts: Segment[] = [];
      let bytes = 0;
      for (const seg of this.sealed) {
        if (parts.length > 0 && bytes + seg.bytes > this.maxLoadBytes) break;
        parts.push(seg);
        bytes += seg.bytes;
      }
      try {
        await deliver({
          parts: parts.map((s) => ({ key: `spool:${s.seq}`, file: s.file, bounds: s.bounds })),
        });
        backoffMs = 100;
      } catch (err) {
        this.opts.onError?.(err);
        if (this.closing) return; // replayed on the next start
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 10_000);
        continue;
      }
      this.sealed.splice(0, parts.length);
      this.undeliveredBytes -= bytes;
      await Promise.all(parts.map((s) => unlink(s.file).catch(() => {})));
    }
  }
}

async function writeAll(fd: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await fd.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

/** Cut a torn final line (a write interrupted by a crash); returns the resulting size. */
async function truncateToLastNewline(file: string): Promise<number> {
  const size = (await stat(file)).size;
  if (size === 0) return 0;
  const fd = await open(file, 'r+');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fd.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep !== size) {
          await fd.truncate(keep);
          await fd.sync();
        }
        return keep;
      }
      end = start;
    }
    await fd.truncate(0);
    return 0;
  } finally {
    await fd.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
