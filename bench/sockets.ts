import http from 'node:http';
import net from 'node:net';
import { freePort, median, runIfMain, startSawmill } from './common.js';
import { records } from './generate.js';

/**
 * Ingest rate of syslog over TCP (RFC 5424, octet-counted) and GELF over TCP (NUL-delimited), as a
 * ratio to `/api/v1/logs` NDJSON measured in the same run on the same records.
 *
 * Sockets have no acknowledgement, so a socket run is timed from its first byte until the server's
 * `sawmill_ingest_records_total{result="accepted",protocol=…}` reaches the record count: the same
 * point (records fsync'd in the spool) at which /api/v1/logs answers. `clients` connections each
 * send their share, honouring TCP backpressure; the HTTP baseline uses `clients` keep-alive
 * connections posting `batch` records per request. Every measurement gets a fresh server and an
 * untimed warm-up; rounds repeat baseline-then-sockets and each ratio is the median over rounds.
 *
 * `tsx bench/sockets.ts [--records 200000 --batch 1000 --clients 4 --rounds 3]` (needs
 * `npm run build`), or `npm run bench -- --sockets`, which adds the table to the results markdown.
 */

type Rec = {
  level: string;
  message: string;
  resourceId: string;
  timestamp: string;
  traceId: string;
  spanId: string;
  commit: string;
  metadata: { parentResourceId: string };
};

const SEVERITY: Record<string, number> = { trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2 };
const sdValue = (s: string) => s.replace(/["\\\]]/g, (c) => `\\${c}`);

/** RFC 5424, facility local0, SD carrying the keyword fields; octet-counted, as syslog-ng sends. */
function syslogFrame(r: Rec): string {
  const msg = `<${16 * 8 + (SEVERITY[r.level] ?? 6)}>1 ${r.timestamp} bench-host app - - [meta resourceId="${sdValue(r.resourceId)}" traceId="${r.traceId}" spanId="${r.spanId}" commit="${r.commit}" parentResourceId="${sdValue(r.metadata.parentResourceId)}"] ${r.message}\n`;
  return `${Buffer.byteLength(msg)} ${msg}`;
}

function gelfFrame(r: Rec): string {
  return `${JSON.stringify({
    version: '1.1',
    host: 'bench-host',
    short_message: r.message,
    timestamp: Date.parse(r.timestamp) / 1000,
    level: SEVERITY[r.level] ?? 6,
    _resourceId: r.resourceId,
    _traceId: r.traceId,
    _spanId: r.spanId,
    _commit: r.commit,
    _parentResourceId: r.metadata.parentResourceId,
  })}\0`;
}

/** Frames joined into ~64 KiB writes, split round-robin over `clients` connections. */
function streams(recs: Rec[], frame: (r: Rec) => string, clients: number): Buffer[][] {
  const out: Buffer[][] = Array.from({ length: clients }, () => []);
  let part = '';
  let n = 0;
  for (const r of recs) {
    part += frame(r);
    if (part.length >= 64 * 1024) {
      out[n++ % clients]!.push(Buffer.from(part));
      part = '';
    }
  }
  if (part) out[n % clients]!.push(Buffer.from(part));
  return out;
}

interface Sawmill {
  port: number;
  syslogPort: number;
  gelfPort: number;
  accepted(protocol: string): Promise<number>;
  stop(): Promise<void>;
}

/** A built Sawmill server with its syslog and GELF listeners, on a fresh data directory. */
async function startSockets(): Promise<Sawmill> {
  const [syslogPort, gelfPort] = [await freePort(), await freePort()];
  const server = await startSawmill('sawmill-bench-sockets-', [
    ...['--syslog-port', String(syslogPort), '--gelf-port', String(gelfPort)],
  ]);
  const { port } = server;
  return {
    port,
    syslogPort,
    gelfPort,
    async accepted(protocol) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const re = new RegExp(
        `^sawmill_ingest_records_total\\{result="accepted",protocol="${protocol}"\\} (\\d+)`,
        'm',
      );
      return Number(re.exec(text)?.[1] ?? 0);
    },
    stop: () => server.stop(),
  };
}

function sendStream(port: number, parts: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, async () => {
      for (const p of parts) {
        if (!socket.write(p)) await new Promise((r) => socket.once('drain', r));
      }
      socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

/** Seconds from the first byte until the server has accepted `n` more records of `protocol`. */
async function timeSocket(
  s: Sawmill,
  protocol: string,
  port: number,
  parts: Buffer[][],
  n: number,
): Promise<number> {
  const before = await s.accepted(protocol);
  const started = performance.now();
  const sent = Promise.all(parts.map((p) => sendStream(port, p)));
  for (;;) {
    const got = (await s.accepted(protocol)) - before;
    if (got >= n) break;
    if (performance.now() - started > 600_000)
      throw new Error(`${protocol}: only ${got} of ${n} records after 10 min`);
    // /metrics costs the server CPU (process metrics too): poll gently, finer near the end.
    await new Promise((r) => setTimeout(r, got > 0.9 * n ? 10 : 100));
  }
  const seconds = (performance.now() - started) / 1000;
  await sent;
  return seconds;
}

/** `clients` keep-alive connections post the NDJSON bodies; 429/503 retried after Retry-After. */
async function timeHttp(port: number, bodies: Buffer[], clients: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const post = (body: Buffer) =>
    new Promise<{ status: number; retryAfter: number }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/logs',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 1) }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        for (;;) {
          const { status, retryAfter } = await post(body);
          if (status === 200) break;
          if (status !== 429 && status !== 503) throw new Error(`/api/v1/logs answered ${status}`);
          await new Promise((r) => setTimeout(r, retryAfter * 1000));
        }
      }
    }),
  );
  agent.destroy();
  return (performance.now() - started) / 1000;
}

export interface SocketBenchResult {
  rows: Array<{ name: string; perSecond: number; ratio: number; ratios: number[]; bytesPerRecord: number }>;
  baselines: number[];
  records: number;
  markdown: string;
}

export async function socketBench(opts: {
  records: number;
  batch: number;
  clients: number;
  rounds?: number;
  log?: (m: string) => void;
}): Promise<SocketBenchResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[bench:sockets] ${m}\n`));
  const rounds = opts.rounds ?? 3;
  const recs = [...records(opts.records)] as unknown as Rec[];
  const n = recs.length;
  log(`encoding ${n} records as NDJSON, octet-counted RFC 5424 and NUL-delimited GELF`);
  const ndjson: Buffer[] = [];
  for (let i = 0; i < n; i += opts.batch) {
    ndjson.push(
      Buffer.from(
        `${recs
          .slice(i, i + opts.batch)
          .map((r) => JSON.stringify(r))
          .join('\n')}\n`,
      ),
    );
  }
  const warmRecs = recs.slice(0, Math.min(n, 20 * opts.batch));
  const kinds = [
    { name: 'syslog TCP (RFC 5424, octet-counted)', protocol: 'syslog', frame: syslogFrame },
    { name: 'GELF TCP (NUL-delimited)', protocol: 'gelf', frame: gelfFrame },
  ].map((k) => ({
    ...k,
    parts: streams(recs, k.frame, opts.clients),
    warm: streams(warmRecs, k.frame, opts.clients),
  }));

  const baselines: number[] = [];
  const rates: number[][] = kinds.map(() => []);
  const ratios: number[][] = kinds.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    log(`round ${round}/${rounds}`);
    let s = await startSockets();
    try {
      await timeHttp(s.port, ndjson.slice(0, 20), opts.clients); // warm-up
      const base = n / (await timeHttp(s.port, ndjson, opts.clients));
      baselines.push(base);
      log(`/api/v1/logs: ${Math.round(base)} records/s`);
    } finally {
      await s.stop();
    }
    for (const [i, k] of kinds.entries()) {
      s = await startSockets();
      try {
        const port = k.protocol === 'syslog' ? s.syslogPort : s.gelfPort;
        await timeSocket(s, k.protocol, port, k.warm, warmRecs.length);
        const rate = n / (await timeSocket(s, k.protocol, port, k.parts, n));
        rates[i]!.push(rate);
        ratios[i]!.push(rate / baselines[baselines.length - 1]!);
        log(`${k.name}: ${Math.round(rate)} records/s`);
      } finally {
        await s.stop();
      }
    }
  }
  const fmt = (x: number) => Math.round(x).toLocaleString('en');
  const rows = kinds.map((k, i) => ({
    name: k.name,
    perSecond: median(rates[i]!),
    ratio: median(ratios[i]!),
    ratios: ratios[i]!,
    bytesPerRecord: k.parts.flat().reduce((sum, b) => sum + b.length, 0) / n,
  }));
  const markdown = [
    `## Ingest over syslog and GELF sockets (${fmt(n)} records, ${opts.clients} TCP connections, fresh server each, median of ${rounds} rounds)`,
    '',
    `Timed until the server counts every record accepted (durable in the spool), the point at which \`/api/v1/logs\` answers. Baseline \`/api/v1/logs\` NDJSON (${opts.clients} clients × ${opts.batch} records/request) per round: ${baselines.map(fmt).join(', ')} records/s.`,
    '',
    '| protocol | records/s (durable) | ratio to /api/v1/logs | ratios per round | bytes/record on the wire |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.perSecond)} | ${r.ratio.toFixed(2)} | ${r.ratios.map((x) => x.toFixed(2)).join(', ')} | ${r.bytesPerRecord.toFixed(0)} |`,
    ),
    '',
  ].join('\n');
  return { rows, baselines, records: n, markdown };
}

runIfMain(import.meta.filename, 'socket', socketBench);
