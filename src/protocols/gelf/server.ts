import type { Candidate } from '../../ingest/candidate.js';
import { DelimitedFramer } from '../socket/frames.js';
import { listenBoth, type PortPair, type SocketDeps } from '../socket/listeners.js';
import type { ProblemReporter } from '../socket/report.js';
import { ChunkAssembler, isChunk } from './chunks.js';
import { decompressGelf, GelfDecodeError, gelfFromJson } from './parse.js';

/** GELF's own rule: every chunk of a message within 5 seconds. */
const CHUNK_TIMEOUT_MS = 5000;

/**
 * GELF on TCP (each message ends with a NUL byte, uncompressed, per the spec) and UDP (one message
 * per datagram, or chunked; plain, zlib or gzip), both on `port`. Records are ingested with
 * protocol `gelf`.
 */
export function startGelf(deps: SocketDeps, port: number): Promise<PortPair> {
  const max = deps.limits.maxMessageBytes;
  let assembler: ChunkAssembler | undefined;
  return listenBoth(deps, port, {
    protocol: 'gelf',
    tcpDecoder(reporter: ProblemReporter, remote: string) {
      const framer = new DelimitedFramer(0x00, max);
      const decode = (frames: ReturnType<DelimitedFramer['push']>): Candidate[] => {
        const now = new Date();
        const out: Candidate[] = [];
        for (const f of frames) {
          if (f.truncated) {
            // A cut JSON document cannot be parsed: say so rather than store half of it.
            reporter.problem(
              'tcp',
              'message_too_large',
              `a GELF message over ${max} bytes was discarded`,
              remote,
            );
            reporter.dropped('tcp', 'message_too_large', 1, `GELF message over ${max} bytes`, remote);
            continue;
          }
          const text = gelfText(f.data); // some senders add a newline before the NUL
          if (text !== '') out.push(gelfFromJson(text, now));
        }
        return out;
      };
      return { push: (chunk) => decode(framer.push(chunk)), end: () => decode(framer.end()) };
    },
    udpDecode(reporter: ProblemReporter) {
      assembler = new ChunkAssembler({
        timeoutMs: CHUNK_TIMEOUT_MS,
        maxMessageBytes: max,
        maxPendingBytes: Math.max(32 * 1024 * 1024, 4 * max),
        onDrop: (reason, detail) => reporter.dropped('udp', reason, 1, detail),
      });
      const chunks = assembler;
      return (datagram, remote) => {
        const payload = isChunk(datagram) ? chunks.add(datagram, remote) : datagram;
        if (!payload) return [];
        try {
          const text = gelfText(decompressGelf(payload, max));
          return text === '' ? [] : [gelfFromJson(text, new Date())];
        } catch (err) {
          if (!(err instanceof GelfDecodeError)) throw err;
          reporter.dropped('udp', err.reason, 1, err.message, remote);
          return [];
        }
      };
    },
    close: () => assembler?.close(),
  });
}

/** The JSON text of a payload, without the NUL terminator syslog-ng's graylog2() adds even over UDP. */
function gelfText(data: Buffer): string {
  let end = data.length;
  while (end > 0 && (data[end - 1] === 0 || data[end - 1] === 0x0a || data[end - 1] === 0x0d)) end--;
  return data.toString('utf8', 0, end).trim();
}
