import dgram from 'node:dgram';
import net from 'node:net';
import { OverloadedError } from '../../buffer/buffer.js';
import type { Candidate } from '../../ingest/candidate.js';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import { ingestOnce } from './ingest.js';
import type { Log, ProblemReporter } from './report.js';
import type { Listener } from './tcp.js';

export interface UdpListenerOptions {
  protocol: string;
  host: string;
  port: number;
  pipeline: IngestPipeline;
  reporter: ProblemReporter;
  log: Log;
  /** One datagram → candidates (none while, say, a GELF message still waits for chunks). */
  decode(datagram: Buffer, remote: string): Candidate[];
}

/** Datagrams are gathered this long (or up to MAX_BATCH) into one pipeline call. */
const BATCH_MS = 5;
const MAX_BATCH = 5000;
/** Received but not yet stored, past which new datagrams are dropped (and counted). */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** Asked of the kernel so bursts queue there rather than being lost; the kernel may cap it. */
const RECV_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * A UDP listener. UDP has no acknowledgement and no flow control, so a sender can never learn
 * whether a datagram was stored: Sawmill stores what it can and counts what it cannot
 * (`sawmill_socket_dropped_total{transport="udp"}`) — datagrams arriving while the pipeline
 * refuses with overload or while the backlog is over its bound. Drops in the kernel's receive
 * buffer happen before Sawmill sees anything (`RcvbufErrors` in /proc/net/snmp).
 */
export async function listenUdp(opts: UdpListenerOptions): Promise<Listener> {
  const socket = dgram.createSocket({ type: net.isIPv6(opts.host) ? 'udp6' : 'udp4' });
  let pending: Candidate[] = [];
  let pendingBytes = 0;
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;

  const flush = async () => {
    timer = null;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      let work = batch;
      try {
        while (work.length > 0)
          work = await ingestOnce(opts.pipeline, work, opts.protocol, opts.reporter, 'udp');
      } catch (err) {
        const overloaded = err instanceof OverloadedError;
        if (!overloaded)
          opts.log.error({ err, protocol: opts.protocol }, `${opts.protocol} udp: storing a batch failed`);
        opts.reporter.dropped(
          'udp',
          overloaded ? 'overloaded' : 'error',
          work.length,
          `UDP cannot be retried or refused: ${(err as Error).message}`,
        );
      }
    }
  };
  const kick = () => {
    if (flushing) return; // the running flush takes what arrived meanwhile
    flushing = flush().finally(() => {
      flushing = null;
      if (pending.length > 0 && !timer) timer = setTimeout(kick, BATCH_MS);
    });
  };

  socket.on('message', (msg, rinfo) => {
    if (pendingBytes + msg.length > MAX_BACKLOG_BYTES) {
      opts.reporter.dropped('udp', 'backlog', 1, `more than ${MAX_BACKLOG_BYTES} bytes wait for the disk`);
      return;
    }
    const candidates = opts.decode(msg, `${rinfo.address}:${rinfo.port}`);
    if (candidates.length === 0) return;
    for (const c of candidates) pending.push(c);
    pendingBytes += msg.length;
    if (pending.length >= MAX_BATCH) {
      if (timer) clearTimeout(timer);
      timer = null;
      kick();
    } else if (!timer && !flushing) timer = setTimeout(kick, BATCH_MS);
  });
  socket.on('error', (err) =>
    opts.log.error({ err, protocol: opts.protocol }, `${opts.protocol} udp socket error`),
  );

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: opts.port, address: opts.host }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  try {
    socket.setRecvBufferSize(RECV_BUFFER_BYTES);
  } catch {
    // Capped by net.core.rmem_max; the default still works, bursts just overflow sooner.
  }
  return {
    port: socket.address().port,
    async close() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      if (timer) clearTimeout(timer);
      timer = null;
      while (flushing || pending.length > 0) {
        if (!flushing) kick();
        await flushing;
      }
    },
  };
}
