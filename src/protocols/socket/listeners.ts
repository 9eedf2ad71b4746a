import type { Candidate } from '../../ingest/candidate.js';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import { type Log, ProblemReporter, socketMetrics } from './report.js';
import { type Listener, listenTcp, type StreamDecoder } from './tcp.js';
import { listenUdp } from './udp.js';

export interface SocketLimits {
  /** Open TCP connections per listener; more are refused (and counted). */
  maxConnections: number;
  /** Longest message over TCP, or reassembled from GELF chunks; longer ones are cut or refused. */
  maxMessageBytes: number;
}

export interface SocketDeps {
  host: string;
  pipeline: IngestPipeline;
  registry: import('prom-client').Registry;
  log: Log;
  limits: SocketLimits;
}

/** A protocol listening on TCP and UDP with the same port number (as syslog and GELF do). */
export interface PortPair {
  tcpPort: number;
  udpPort: number;
  close(): Promise<void>;
}

export interface ProtocolCodec {
  protocol: string;
  tcpDecoder(reporter: ProblemReporter, remote: string): StreamDecoder;
  udpDecode(reporter: ProblemReporter): (datagram: Buffer, remote: string) => Candidate[];
  /** Releases timers (GELF chunk reassembly) when the listeners close. */
  close?(): void;
}

/**
 * Binds TCP then UDP on `port` (0: two ephemeral ports, chosen by the OS). If UDP cannot bind,
 * TCP is closed again so a failed start leaves nothing listening.
 */
export async function listenBoth(deps: SocketDeps, port: number, codec: ProtocolCodec): Promise<PortPair> {
  const metrics = socketMetrics(deps.registry);
  const reporter = new ProblemReporter(deps.log, metrics, codec.protocol);
  const common = {
    protocol: codec.protocol,
    host: deps.host,
    port,
    pipeline: deps.pipeline,
    reporter,
    log: deps.log,
  };
  const tcp = await listenTcp({
    ...common,
    maxConnections: deps.limits.maxConnections,
    metrics,
    decoder: (remote) => codec.tcpDecoder(reporter, remote),
  });
  let udp: Listener;
  try {
    udp = await listenUdp({ ...common, decode: codec.udpDecode(reporter) });
  } catch (err) {
    await tcp.close();
    throw err;
  }
  deps.log.info(
    { protocol: codec.protocol, tcpPort: tcp.port, udpPort: udp.port },
    `${codec.protocol} listening on tcp/${tcp.port} and udp/${udp.port}`,
  );
  return {
    tcpPort: tcp.port,
    udpPort: udp.port,
    async close() {
      await Promise.all([tcp.close(), udp.close()]);
      codec.close?.();
    },
  };
}
