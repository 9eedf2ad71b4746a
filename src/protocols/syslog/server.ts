import type { Candidate } from '../../ingest/candidate.js';
import { listenBoth, type PortPair, type SocketDeps } from '../socket/listeners.js';
import type { ProblemReporter } from '../socket/report.js';
import { SyslogFramer } from './framing.js';
import { syslogCandidate } from './parse.js';

/**
 * Syslog on TCP (octet counting or LF framing, detected per connection) and UDP (one message per
 * datagram), both on `port`. Records are ingested with protocol `syslog`.
 */
export function startSyslog(deps: SocketDeps, port: number): Promise<PortPair> {
  const max = deps.limits.maxMessageBytes;
  return listenBoth(deps, port, {
    protocol: 'syslog',
    tcpDecoder(reporter: ProblemReporter, remote: string) {
      const framer = new SyslogFramer(max, (problem, detail) =>
        reporter.problem('tcp', problem, detail, remote),
      );
      const toCandidates = (frames: ReturnType<SyslogFramer['push']>) => {
        const now = new Date();
        const out: Candidate[] = [];
        for (const f of frames) {
          const c = syslogCandidate(f.data, f.truncated, now);
          if (c) out.push(c);
        }
        return out;
      };
      return {
        push: (chunk) => toCandidates(framer.push(chunk)),
        end: () => toCandidates(framer.end()),
      };
    },
    udpDecode(reporter: ProblemReporter) {
      return (datagram, remote) => {
        // A datagram is one message (RFC 5426); the OS already bounds it to 64 KiB.
        const truncated = datagram.length > max;
        if (truncated)
          reporter.problem(
            'udp',
            'message_too_large',
            `a ${datagram.length}-byte datagram was cut at ${max} bytes`,
            remote,
          );
        const c = syslogCandidate(truncated ? datagram.subarray(0, max) : datagram, truncated, new Date());
        return c ? [c] : [];
      };
    },
  });
}
