import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { OverloadedError } from '../../buffer/buffer.js';
import type { Candidate } from '../../ingest/candidate.js';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import { ingestOnce } from './ingest.js';
import type { Log, ProblemReporter, SocketMetrics } from './report.js';

/** Turns one connection's bytes into candidates; one per connection (framing is stateful). */
export interface StreamDecoder {
  push(chunk: Buffer): Candidate[];
  /** The peer closed its side: whatever the last partial message holds. */
  end(): Candidate[];
}

export interface TcpListenerOptions {
  protocol: string;
  host: string;
  port: number;
  maxConnections: number;
  pipeline: IngestPipeline;
  reporter: ProblemReporter;
  metrics: SocketMetrics;
  log: Log;
  decoder(remote: string): StreamDecoder;
}

export interface Listener {
  port: number;
  close(): Promise<void>;
}

/**
 * Bytes read from a connection but not yet stored, past which the socket is paused. Together with
 * one batch in flight this bounds a connection's memory; the kernel's buffers then fill and TCP
 * flow control slows the sender instead of Sawmill buffering without limit.
 */
const HIGH_WATER_BYTES = 256 * 1024;

/**
 * A TCP listener for a line- or frame-oriented log protocol. Each connection batches: what arrives
 * while its previous batch is being made durable becomes the next batch (one pipeline call per
 * read chunk when idle, larger batches under load). Overload pauses the connection and retries
 * the same batch after Retry-After, so nothing read is dropped.
 *
 * TCP syslog and GELF have no application-level acknowledgement: a sender only learns that bytes
 * reached the kernel. What Sawmill guarantees is that it reads at most one batch ahead of what is
 * durable, so a crash loses only data that no protocol here could have confirmed.
 */
export async function listenTcp(opts: TcpListenerOptions): Promise<Listener> {
  const connections = new Set<Connection>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    const conn = new Connection(socket, opts);
    connections.add(conn);
    opts.metrics.connections.inc({ protocol: opts.protocol });
    socket.once('close', () => {
      opts.metrics.connections.dec({ protocol: opts.protocol });
      void conn.idle().then(() => connections.delete(conn));
    });
  });
  server.maxConnections = opts.maxConnections;
  server.on('drop', (data) => {
    opts.reporter.problem(
      'tcp',
      'too_many_connections',
      `connection refused: ${opts.maxConnections} connections are open (SAWMILL_SOCKET_MAX_CONNECTIONS)`,
      data?.remoteAddress,
    );
  });
  server.on('error', (err) =>
    opts.log.error({ err, protocol: opts.protocol }, `${opts.protocol} tcp listener error`),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // What every connection has already read is still stored; then the connections go.
      await Promise.all([...connections].map((c) => c.shutdown()));
      await closed;
    },
  };
}

class Connection {
  private pending: Candidate[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> | null = null;
  private readonly stop = new AbortController();
  private readonly decoder: StreamDecoder;
  private readonly remote: string;

  constructor(
    private readonly socket: net.Socket,
    private readonly opts: TcpListenerOptions,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.decoder = opts.decoder(this.remote);
    socket.on('data', (chunk: Buffer) => this.receive(this.decoder.push(chunk), chunk.length));
    socket.on('end', () => this.receive(this.decoder.end(), 0));
    // A reset by the peer is its business; what was read before it is still stored.
    socket.on('error', (err) =>
      opts.log.debug({ err, remote: this.remote }, `${opts.protocol} tcp connection error`),
    );
  }

  /** Resolves once nothing read from this connection is waiting to be stored. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Server shutdown: store what was read (no more overload retries), then close. */
  async shutdown(): Promise<void> {
    this.socket.pause();
    this.stop.abort();
    await this.idle();
    this.socket.destroy();
  }

  private receive(candidates: Candidate[], bytes: number): void {
    // A partial message yields nothing yet; the framer bounds its own memory.
    if (candidates.length === 0) return;
    for (const c of candidates) this.pending.push(c);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= HIGH_WATER_BYTES) this.socket.pause();
    if (!this.flushing && this.pending.length > 0) {
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = null;
      });
    }
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      if (this.socket.isPaused() && !this.stop.signal.aborted) this.socket.resume();
      await this.store(batch);
    }
    // Paused for overload with nothing else read: read again now that the batch is stored.
    if (this.socket.isPaused() && !this.stop.signal.aborted) this.socket.resume();
  }

  private async store(batch: Candidate[]): Promise<void> {
    const { pipeline, protocol, reporter } = this.opts;
    let work = batch;
    while (work.length > 0) {
      try {
        work = await ingestOnce(pipeline, work, protocol, reporter, 'tcp', this.remote);
      } catch (err) {
        if (err instanceof OverloadedError && !this.stop.signal.aborted) {
          // Stop reading (the high-water mark keeps it paused) and try the same batch again.
          this.socket.pause();
          reporter.problem(
            'tcp',
            'overloaded',
            `${err.message}: pausing the connection and retrying`,
            this.remote,
          );
          await sleep(Math.max(100, err.retryAfterSeconds * 1000), undefined, {
            signal: this.stop.signal,
          }).catch(() => undefined);
          continue;
        }
        const why = err instanceof OverloadedError ? 'shutdown' : 'error';
        if (why === 'error')
          this.opts.log.error({ err, protocol }, `${protocol} tcp: storing a batch failed`);
        reporter.dropped('tcp', why, work.length, `could not store: ${(err as Error).message}`, this.remote);
        return;
      }
    }
  }
}
