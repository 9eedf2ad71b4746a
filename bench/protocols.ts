import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compressSync } from 'snappy';
import { PushRequest } from '../src/protocols/loki/proto/push.js';
import { ExportLogsServiceRequest } from '../src/protocols/otlp/proto/index.js';
import { median, runIfMain, startSawmill } from './common.js';
import { records } from './generate.js';

/**
 * Ingest rate per shipper protocol, as a ratio to plain `/api/v1/logs` measured in the same run
 * (target ≥ 0.7 for every HTTP protocol). The same generated records are encoded once per
 * protocol before timing (NDJSON, ES bulk, Loki JSON, Loki protobuf+snappy, OTLP JSON, OTLP
 * protobuf), plus the NDJSON again against a server with access control on (a Bearer key checked
 * on every request); each protocol then gets a fresh server and `clients` keep-alive connections posting
 * batches (after an untimed warm-up of up to 20 of them), counting acknowledged records only.
 * Rounds run baseline, protocols (rotated), baseline; each ratio is the median over rounds.
 *
 * `tsx bench/protocols.ts [--records 200000 --batch 1000 --clients 4 --rounds 3]` (needs `npm run build`), or
 * `npm run bench -- --protocols`, which appends the table to the results markdown.
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

export interface Encoded {
  name: string;
  path: string;
  headers: Record<string, string>;
  bodies: Buffer[];
  /** Success status the protocol answers. */
  ok: number;
  /** Extra `sawmill serve` flags for this row's server (access control on). */
  serverArgs?: string[];
}

export interface ProtocolRow {
  name: string;
  perSecond: number;
  ratio: number;
  /** Server CPU time (user + system, all threads) per acknowledged record, µs. */
  cpuMicrosPerRecord: number;
  /** Baseline CPU per record over this protocol's: the rate ratio a machine to itself would see. */
  cpuRatio: number;
  bytesPerRecord: number;
  retries: number;
}

export interface ProtocolBenchResult {
  rows: ProtocolRow[];
  /** The NDJSON baseline's rate in each round. */
  baselines: number[];
  records: number;
  markdown: string;
}

const SEVERITY: Record<string, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const ns = (iso: string) => `${BigInt(Date.parse(iso)) * 1_000_000n}`;

/** Loki shippers put low-cardinality labels on streams and the rest in a JSON line. */
function lokiStreams(batch: Rec[]) {
  const byLevel = new Map<string, Rec[]>();
  for (const r of batch) byLevel.set(r.level, [...(byLevel.get(r.level) ?? []), r]);
  return [...byLevel].map(([level, rs]) => ({
    level,
    entries: rs.map(({ level: _l, timestamp, ...rest }) => ({
      ns: ns(timestamp),
      line: JSON.stringify(rest),
    })),
  }));
}

/** OTLP groups records by resource (here: the resourceId, as `service.name`). */
function otlpRequest(batch: Rec[], binaryIds: boolean) {
  const byResource = new Map<string, Rec[]>();
  for (const r of batch) byResource.set(r.resourceId, [...(byResource.get(r.resourceId) ?? []), r]);
  return {
    resourceLogs: [...byResource].map(([resourceId, rs]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: resourceId } }] },
      scopeLogs: [
        {
          scope: { name: 'bench' },
          logRecords: rs.map((r) => ({
            timeUnixNano: ns(r.timestamp),
            severityNumber: SEVERITY[r.level] ?? 9,
            severityText: r.level.toUpperCase(),
            body: { stringValue: r.message },
            attributes: [
              { key: 'commit', value: { stringValue: r.commit } },
              { key: 'metadata.parentResourceId', value: { stringValue: r.metadata.parentResourceId } },
            ],
            traceId: binaryIds ? Buffer.from(r.traceId, 'hex') : r.traceId,
            spanId: binaryIds ? Buffer.from(r.spanId, 'hex') : r.spanId,
          })),
        },
      ],
    })),
  };
}

export function encodeAll(recs: Rec[], batch: number): Encoded[] {
  const batches = chunks(recs, batch);
  const json = 'application/json';
  return [
    {
      name: '/api/v1/logs (NDJSON)',
      path: '/api/v1/logs',
      headers: { 'content-type': 'application/x-ndjson' },
      ok: 200,
      bodies: batches.map((b) => Buffer.from(`${b.map((r) => JSON.stringify(r)).join('\n')}\n`)),
    },
    {
      name: 'Elasticsearch _bulk',
      path: '/es/_bulk',
      headers: { 'content-type': 'application/x-ndjson' },
      ok: 200,
      bodies: batches.map((b) =>
        Buffer.from(b.map((r) => `{"index":{"_index":"bench"}}\n${JSON.stringify(r)}\n`).join('')),
      ),
    },
    {
      name: 'Loki push, JSON',
      path: '/loki/api/v1/push',
      headers: { 'content-type': json },
      ok: 204,
      bodies: batches.map((b) =>
        Buffer.from(
          JSON.stringify({
            streams: lokiStreams(b).map((s) => ({
              stream: { job: 'bench', level: s.level },
              values: s.entries.map((e) => [e.ns, e.line]),
            })),
          }),
        ),
      ),
    },
    {
      name: 'Loki push, protobuf + snappy',
      path: '/loki/api/v1/push',
      headers: { 'content-type': 'application/x-protobuf' },
      ok: 204,
      bodies: batches.map((b) => {
        const streams = lokiStreams(b).map((s) => ({
          labels: `{job="bench", level="${s.level}"}`,
          entries: s.entries.map((e) => ({
            timestamp: {
              seconds: Number(BigInt(e.ns) / 1_000_000_000n),
              nanos: Number(BigInt(e.ns) % 1_000_000_000n),
            },
            line: e.line,
          })),
        }));
        return compressSync(Buffer.from(PushRequest.encode(PushRequest.fromObject({ streams })).finish()));
      }),
    },
    {
      name: 'OTLP/HTTP, JSON',
      path: '/v1/logs',
      headers: { 'content-type': json },
      ok: 200,
      bodies: batches.map((b) => Buffer.from(JSON.stringify(otlpRequest(b, false)))),
    },
    {
      name: 'OTLP/HTTP, protobuf',
      path: '/v1/logs',
      headers: { 'content-type': 'application/x-protobuf' },
      ok: 200,
      bodies: batches.map((b) =>
        Buffer.from(
          ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(otlpRequest(b, true))).finish(),
        ),
      ),
    },
  ];
}

/** `clients` keep-alive connections post the bodies; 429/503 are retried after Retry-After. */
async function postBodies(
  port: number,
  enc: Encoded,
  clients: number,
): Promise<{ seconds: number; retries: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const post = (body: Buffer) =>
    new Promise<{ status: number; retryAfter: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: enc.path,
          method: 'POST',
          agent,
          headers: { ...enc.headers, 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            if (text.length < 2000) text += d;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: Number(res.headers['retry-after'] ?? 1),
              text,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  let retries = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < enc.bodies.length) {
        const body = enc.bodies[next++]!;
        for (;;) {
          const { status, retryAfter, text } = await post(body);
          if (status === enc.ok) {
            // Anything refused inside a success reply would make the rate meaningless.
            if (
              text.includes('"errors":true') ||
              text.includes('partialSuccess') ||
              text.includes('"rejected":')
            ) {
              if (!/"rejected":0\b/.test(text))
                throw new Error(`${enc.name}: records refused: ${text.slice(0, 300)}`);
            }
            break;
          }
          if (status !== 429 && status !== 503)
            throw new Error(`${enc.name} answered ${status}: ${text.slice(0, 300)}`);
          retries++;
          await new Promise((r) => setTimeout(r, retryAfter * 1000));
        }
      }
    }),
  );
  agent.destroy();
  return { seconds: (performance.now() - started) / 1000, retries };
}

/** utime + stime of a process (all its threads), in seconds; Linux reports clock ticks of 1/100 s. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits until the spool has handed everything to the store (buffer depth 0 in /metrics). */
async function drained(port: number, headers: Record<string, string>): Promise<void> {
  const deadline = Date.now() + 120_000;
  // With access control on, /metrics takes the same key (the bench's key is an admin's).
  const auth: Record<string, string> = headers.authorization ? { authorization: headers.authorization } : {};
  for (;;) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: auth }).then((r) => r.text());
    if (/^sawmill_buffer_depth_bytes 0$/m.test(text)) return;
    if (Date.now() > deadline) throw new Error('the spool did not drain within 120 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function measure(
  enc: Encoded,
  n: number,
  clients: number,
  log: (m: string) => void,
): Promise<ProtocolRow> {
  const server = await startSawmill('sawmill-bench-proto-', enc.serverArgs);
  try {
    // Warm-up, untimed: a fresh process runs cold (JIT) for its first requests.
    const warm = Math.max(1, Math.min(20, Math.floor(enc.bodies.length / 10)));
    await postBodies(server.port, { ...enc, bodies: enc.bodies.slice(0, warm) }, clients);
    await drained(server.port, enc.headers);
    const cpuBefore = await cpuSeconds(server.pid);
    const { seconds, retries } = await postBodies(server.port, enc, clients);
    // CPU until every record is loaded into the store, so the cost per record is all of it.
    await drained(server.port, enc.headers);
    const cpu = (await cpuSeconds(server.pid)) - cpuBefore;
    const bytes = enc.bodies.reduce((s, b) => s + b.length, 0);
    const row: ProtocolRow = {
      name: enc.name,
      perSecond: n / seconds,
      ratio: 0,
      cpuMicrosPerRecord: (cpu * 1e6) / n,
      cpuRatio: 0,
      bytesPerRecord: bytes / n,
      retries,
    };
    log(
      `${enc.name}: ${Math.round(row.perSecond)} records/s, server CPU ${row.cpuMicrosPerRecord.toFixed(1)} µs/record`,
    );
    return row;
  } finally {
    await server.stop();
  }
}

export async function protocolBench(opts: {
  records: number;
  batch: number;
  clients: number;
  /** Rounds of every protocol; each protocol's ratio is the median over rounds. */
  rounds?: number;
  log?: (m: string) => void;
}): Promise<ProtocolBenchResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[bench:protocols] ${m}\n`));
  const rounds = opts.rounds ?? 3;
  const recs = [...records(opts.records)] as unknown as Rec[];
  log(`encoding ${recs.length} records into each protocol (${opts.batch}/request)`);
  const [ndjson, ...protocols] = encodeAll(recs, opts.batch);
  // The same NDJSON with a key checked on every request: what access control costs ingest.
  const accessDir = await mkdtemp(path.join(tmpdir(), 'sawmill-bench-access-'));
  const accessFile = path.join(accessDir, 'access.json');
  const key = randomBytes(32).toString('base64url');
  await writeFile(accessFile, JSON.stringify({ keys: [{ name: 'bench', role: 'admin', key }] }));
  protocols.unshift({
    ...ndjson!,
    name: '/api/v1/logs (NDJSON), access control on (Bearer key)',
    headers: { ...ndjson!.headers, authorization: `Bearer ${key}` },
    serverArgs: ['--access-file', accessFile],
  });
  // Each round runs the baseline, every protocol (in an order rotated per round, so no protocol
  // always runs right after a server's start-up or in the same slot), and the baseline again;
  // each ratio is against the mean of the round's two baseline runs, and the median over rounds
  // damps a busy machine (CI and other developers share its two cores).
  const baselines: number[] = [];
  const baselineCpu: number[] = [];
  const rates: number[][] = protocols.map(() => []);
  const ratios: number[][] = protocols.map(() => []);
  const cpus: number[][] = protocols.map(() => []);
  const cpuRatios: number[][] = protocols.map(() => []);
  const retries = protocols.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1}/${rounds}`);
    const before = await measure(ndjson!, recs.length, opts.clients, log);
    const rows: Array<[number, ProtocolRow]> = [];
    for (let k = 0; k < protocols.length; k++) {
      const i = (k + round) % protocols.length;
      rows.push([i, await measure(protocols[i]!, recs.length, opts.clients, log)]);
    }
    const after = await measure(ndjson!, recs.length, opts.clients, log);
    const base = (before.perSecond + after.perSecond) / 2;
    const baseCpu = (before.cpuMicrosPerRecord + after.cpuMicrosPerRecord) / 2;
    baselines.push(base);
    baselineCpu.push(baseCpu);
    for (const [i, row] of rows) {
      rates[i]!.push(row.perSecond);
      ratios[i]!.push(row.perSecond / base);
      cpus[i]!.push(row.cpuMicrosPerRecord);
      cpuRatios[i]!.push(baseCpu / row.cpuMicrosPerRecord);
      retries[i]! += row.retries;
    }
  }
  const rows: ProtocolRow[] = protocols.map((enc, i) => ({
    name: enc.name,
    perSecond: median(rates[i]!),
    ratio: median(ratios[i]!),
    cpuMicrosPerRecord: median(cpus[i]!),
    cpuRatio: median(cpuRatios[i]!),
    bytesPerRecord: enc.bodies.reduce((s, b) => s + b.length, 0) / recs.length,
    retries: retries[i]!,
  }));
  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  const markdown = [
    `## Ingest per shipper protocol (${fmt(recs.length)} records, ${opts.clients} clients × ${opts.batch} records/request, fresh server each, median of ${rounds} rounds)`,
    '',
    `Baseline \`/api/v1/logs\` NDJSON per round (mean of the runs before and after the protocols): ${baselines.map(fmt).join(', ')} records/s, server CPU ${baselineCpu.map((c) => c.toFixed(1)).join(', ')} µs/record. ` +
      "Rate ratio: the protocol's records/s over its round's baseline. CPU ratio: the baseline's server CPU per record over the protocol's " +
      '(user + system time of the server process, all threads, while the batches were posted): the rate ratio the protocol reaches when the ' +
      'server has the machine to itself, unaffected by other load on a shared machine.',
    '',
    '| protocol | records/s (acknowledged durable) | rate ratio (per round) | server CPU µs/record | CPU ratio (per round) | request bytes/record | retries | target ≥ 0.7 (CPU ratio) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r, i) =>
        `| ${r.name} | ${fmt(r.perSecond)} | ${r.ratio.toFixed(2)} (${ratios[i]!.map((x) => x.toFixed(2)).join(', ')}) | ${r.cpuMicrosPerRecord.toFixed(1)} | ${r.cpuRatio.toFixed(2)} (${cpuRatios[i]!.map((x) => x.toFixed(2)).join(', ')}) | ${r.bytesPerRecord.toFixed(0)} | ${r.retries} | ${r.cpuRatio >= 0.7 ? 'met' : '**missed**'} |`,
    ),
    '',
  ].join('\n');
  await rm(accessDir, { recursive: true, force: true });
  return { rows, baselines, records: recs.length, markdown };
}

runIfMain(import.meta.filename, 'protocol', protocolBench);
