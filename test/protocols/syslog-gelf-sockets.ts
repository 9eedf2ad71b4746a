import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * Socket captures in test/fixtures/wire-samples/ (syslog, GELF): one line per UDP datagram or
 * per TCP connection, with the bytes as `text` — UTF-8, or Latin-1 code points for binary
 * payloads (compressed GELF), told apart by the recorded `length`.
 */
export interface SocketCapture {
  proto: 'tcp' | 'udp';
  conn?: number;
  length: number;
  text: string;
}

const DIR = path.resolve(import.meta.dirname, '../fixtures/wire-samples');

export function loadSocketSample(name: string): SocketCapture[] {
  return readFileSync(path.join(DIR, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SocketCapture);
}

export function captureBytes(c: SocketCapture): Buffer {
  const utf8 = Buffer.from(c.text, 'utf8');
  const bytes = utf8.length === c.length ? utf8 : Buffer.from(c.text, 'latin1');
  if (bytes.length !== c.length) throw new Error(`capture length ${c.length} does not match its text`);
  return bytes;
}

/** Sends `data` on one TCP connection and closes it once written. */
export function sendTcp(port: number, data: Buffer | string | Array<Buffer | string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, async () => {
      for (const part of Array.isArray(data) ? data : [data]) {
        socket.write(part);
        await new Promise((r) => setTimeout(r, 5)); // separate reads on the server
      }
      socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

export function sendUdp(port: number, datagrams: Array<Buffer | string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    let i = 0;
    const next = (err?: Error | null) => {
      if (err) return reject(err);
      if (i === datagrams.length) return socket.close(() => resolve());
      socket.send(datagrams[i++]!, port, '127.0.0.1', next);
    };
    next();
  });
}

/** Replays a capture: each TCP connection as one connection, each datagram as one datagram. */
export async function replaySockets(
  name: string,
  ports: { tcpPort: number; udpPort: number },
): Promise<void> {
  for (const c of loadSocketSample(name)) {
    if (c.proto === 'tcp') await sendTcp(ports.tcpPort, captureBytes(c));
    else await sendUdp(ports.udpPort, [captureBytes(c)]);
  }
}

/** Chunks as GELF senders make them: magic, 8-byte id, seq, count, data. */
export function chunk(id: number, seq: number, count: number, data: Buffer | string): Buffer {
  const head = Buffer.alloc(12);
  head[0] = 0x1e;
  head[1] = 0x0f;
  head.writeBigUInt64BE(BigInt(id), 2);
  head[10] = seq;
  head[11] = count;
  return Buffer.concat([head, Buffer.from(data)]);
}
