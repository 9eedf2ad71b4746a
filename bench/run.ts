import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { duckdbReadNdjson, ripgrepMs } from './baselines.js';
import { clusterBench } from './cluster.js';
import { freePort, ROOT, startSawmill } from './common.js';
import { writeNdjson } from './generate.js';
import { bodies, type LoadResult, postAll } from './load.js';
import { type MemorySplit, renderMemory, sampleMemory } from './memory.js';
import { protocolBench } from './protocols.js';
import { shapes, type Timing, time } from './queries.js';
import { socketBench } from './sockets.js';
import { benchUi, renderUiReport } from './ui.js';

/**
 * `npm run bench [-- --size 1m|10m|N --clients 4 --batch 1000 --skip-baselines --keep --protocols --sockets --ui --cluster]`
 *
 * `--ab` also ingests the same data into a second server with token filters off
 * (SAWMILL_TOKEN_FILTERS=off) and times every shape on both, interleaved: the filters' effect
 * measured in one run (ingest rate, disk, each query), as a ratio.
 * `--ui` adds the web UI's first page + histogram timings and a headless page load (bench/ui.ts).
 * `--protocols` adds ingest per shipper protocol (bench/protocols.ts) as a ratio to /api/v1/logs.
 * `--sockets` adds syslog and GELF over TCP (bench/sockets.ts) as a ratio to /api/v1/logs.
 * `--cluster` adds cluster mode (bench/cluster.ts) on this machine's PostgreSQL, RabbitMQ and
 * Redis, beside embedded mode measured in the same run.
 *
 * Generates (or reuses) the data set, starts a real Sawmill server on a fresh data directory,
 * ingests over HTTP with several clients, waits until everything is searchable, times the query
 * shapes, stops the server and measures its disk use and peak RSS. In the same run: a null-sink
 * HTTP server, DuckDB's own read_ndjson, and ripgrep over the raw file, as baselines.
 * Writes a markdown report to bench/results/.
 */

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const has = (name: string) => process.argv.includes(`--${name}`);
const parseSize = (s: string) =>
  Math.round(
    Number(s.replace(/m$/i, '')) * (/m$/i.test(s) ? 1e6 : /k$/i.test(s) ? 1e3 : 1) ||
      Number(s.replace(/k$/i, '')) * 1e3,
  );

const size = parseSize(flag('size', '1m'));
const clients = Number(flag('clients', '4'));
const batch = Number(flag('batch', '1000'));
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

async function waitHttp(
  url: string,
  ok: (res: Response) => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url).catch(() => null);
    if (res && (await ok(res))) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Peak resident set size of a process (VmHWM), in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

async function nullSinkRate(all: Buffer[]): Promise<LoadResult> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bench/null-sink.ts'), String(port)],
    { stdio: 'ignore' },
  );
  await waitHttp(`http://127.0.0.1:${port}/`, async () => true, 20_000);
  try {
    return await postAll(port, '/', all, size, clients);
  } finally {
    child.kill();
    await stopped(child);
  }
}

async function traceIdFrom(file: string): Promise<string> {
  const fd = await open(file, 'r');
  try {
    const { size: bytes } = await fd.stat();
    const buf = Buffer.alloc(4096);
    await fd.read(buf, 0, buf.length, Math.floor(bytes / 2));
    const line = buf.toString('utf8').split('\n')[1]!;
    return (JSON.parse(line) as { traceId: string }).traceId;
  } finally {
    await fd.close();
  }
}

async function main(): Promise<void> {
  const dataDir = path.join(ROOT, 'bench/data');
  await mkdir(dataDir, { recursive: true });
  // v2: commits from a set of 50 (generate.ts); a changed generator must change this name.
  const file = path.join(dataDir, `logs-${size}-seed42-v2.ndjson`);
  if (!existsSync(file)) {
    log(`generating ${size} records → ${file}`);
    await writeNdjson(file, size);
  }
  const fileBytes = (await stat(file)).size;
  log(`data: ${size} records, ${(fileBytes / size).toFixed(0)} B/record`);
  log('building');
  execSync('npm run build', { cwd: ROOT, stdio: 'ignore' });
  const all = await bodies(file, batch);

  const baselineNull = has('skip-baselines') ? null : await nullSinkRate(all);
  if (baselineNull) log(`null sink: ${Math.round(baselineNull.perSecond)} records/s`);

  // `--ab`: the same ingest into a server without token filters first, kept for the queries.
  const off = has('ab') ? await ingestInto(all, { ...process.env, SAWMILL_TOKEN_FILTERS: 'off' }) : null;
  const { server, ingest, allSearchableS, cpuUsPerRecord, memoryPeak, patterns } = await ingestInto(
    all,
    process.env,
  );
  const { port } = server;
  const base = `http://127.0.0.1:${port}`;
  const rssAfterIngest = await peakRssMb(server.pid!);

  const traceId = await traceIdFrom(file);
  const timings: Array<{
    name: string;
    t: Timing;
    rg: number | null;
    targetMs?: number;
    newest50?: boolean;
  }> = [];
  const ab: Array<{ name: string; off: Timing; on: Timing }> = [];
  for (const shape of shapes(traceId)) {
    let firstOn: number | undefined; // with --ab the shape's first request is in the A/B rounds
    if (off) {
      // Interleaved halves, so a noisy moment on the shared machine hits both sides alike.
      const offBase = `http://127.0.0.1:${off.server.port}`;
      const [a1, b1, a2, b2] = [
        await time(offBase, shape, 10),
        await time(base, shape, 10),
        await time(offBase, shape, 10),
        await time(base, shape, 10),
      ];
      const mid = (x: Timing, y: Timing): Timing => ({
        p50: (x.p50 + y.p50) / 2,
        p95: Math.max(x.p95, y.p95),
        serverP50: (x.serverP50 + y.serverP50) / 2,
        first: x.first,
      });
      ab.push({ name: shape.name, off: mid(a1, a2), on: mid(b1, b2) });
      firstOn = b1.first;
      log(
        `${shape.name}: filters off ${ab.at(-1)!.off.p50.toFixed(1)} ms, on ${ab.at(-1)!.on.p50.toFixed(1)} ms`,
      );
    }
    const t = await time(base, shape);
    t.first = firstOn ?? t.first;
    const rg = shape.rg && !has('skip-baselines') ? ripgrepMs(shape.rg(file)) : null;
    log(
      `${shape.name}: p50 ${t.p50.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms${rg ? `, ripgrep ${rg.toFixed(0)} ms` : ''}`,
    );
    timings.push({ name: shape.name, t, rg, targetMs: shape.targetMs, newest50: shape.newest50 });
  }
  // `--ui`: the web UI's first page + histogram, and a headless page load (bench/ui.ts).
  const uiReport = has('ui') ? renderUiReport(await benchUi(base, log)) : '';
  const peakRss = await peakRssMb(server.pid!);
  await server.stop(true);
  const diskBytes = Number(execSync(`du -sb ${server.dir}`).toString().split('\t')[0]);
  const bytesPerRecord = diskBytes / size;
  if (!has('keep')) await rm(server.dir, { recursive: true, force: true });
  let abReport = '';
  if (off) {
    await off.server.stop(true);
    const offBytes = Number(execSync(`du -sb ${off.server.dir}`).toString().split('\t')[0]) / size;
    await rm(off.server.dir, { recursive: true, force: true });
    abReport = renderAb(ab, off, { ingest, cpuUsPerRecord }, offBytes, bytesPerRecord);
  }

  const engine = has('skip-baselines') ? null : await duckdbReadNdjson(file, size);
  if (engine)
    log(
      `duckdb read_ndjson: ${Math.round(engine.perSecond)} records/s, ${engine.bytesPerRecord.toFixed(1)} B/record`,
    );

  const protocols = has('protocols')
    ? await protocolBench({ records: Math.min(size, 300_000), batch, clients, log })
    : null;
  const cluster = has('cluster')
    ? await clusterBench({ records: Math.min(size, 1_000_000), batch, clients, log })
    : null;
  const sockets = has('sockets')
    ? await socketBench({ records: Math.min(size, 300_000), batch, clients, log })
    : null;

  const report =
    renderReport({
      ingest,
      baselineNull,
      engine,
      allSearchableS,
      patterns,
      bytesPerRecord,
      peakRss,
      rssAfterIngest,
      memoryPeak,
      timings,
      fileBytes,
    }) +
    (uiReport ? `\n${uiReport}` : '') +
    abReport +
    (sockets ? `\n${sockets.markdown}` : '') +
    (cluster ? `\n${cluster.markdown}` : '');
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  // A second run of the same size on the same day gets the time too: a committed report is
  // never overwritten.
  const stamp = new Date().toISOString();
  let out = path.join(ROOT, `bench/results/${stamp.slice(0, 10)}-${size}.md`);
  if (existsSync(out)) out = out.replace(/\.md$/, `-${stamp.slice(11, 16).replace(':', '')}.md`);
  await writeFile(out, protocols ? `${report}\n${protocols.markdown}` : report);
  process.stdout.write(protocols ? `${report}\n${protocols.markdown}` : report);
  log(`report written to ${path.relative(ROOT, out)}`);
}

/** A fresh server with `env`, the data set ingested over HTTP, waited for until all is searchable. */
async function ingestInto(all: Buffer[], env: NodeJS.ProcessEnv) {
  const server = await startSawmill('sawmill-bench-', [], env);
  const base = `http://127.0.0.1:${server.port}`;
  const label = env.SAWMILL_TOKEN_FILTERS === 'off' ? ' (token filters off)' : '';
  log(`ingesting${label}`);
  const cpuBefore = await cpuSeconds(server.pid!);
  const memory = sampleMemory(base);
  const ingest = await postAll(server.port, '/api/v1/logs', all, size, clients);
  log(`sawmill${label}: ${Math.round(ingest.perSecond)} records/s acknowledged (${ingest.retries} retries)`);
  const searchableStart = performance.now();
  await waitHttp(
    `${base}/api/v1/search?limit=1`,
    async (r) => ((await r.json()) as { total: number }).total >= size,
    600_000,
  );
  const allSearchableS = ingest.seconds + (performance.now() - searchableStart) / 1000;
  const memoryPeak = await memory.stop();
  log(`all searchable after ${allSearchableS.toFixed(1)} s`);
  // Server CPU per record from the first request until all is loaded: unlike the rate, it does not
  // depend on what else the shared machine runs meanwhile.
  const cpuUsPerRecord = (((await cpuSeconds(server.pid!)) - cpuBefore) * 1e6) / size;
  log(`server CPU ${cpuUsPerRecord.toFixed(1)} µs/record${label}`);
  const patterns = await patternsCounted(base, server.pid!);
  if (patterns) {
    log(
      `message patterns of ${patterns.days} closed days counted ${patterns.seconds.toFixed(1)} s after all searchable (server CPU ${patterns.cpuSeconds.toFixed(1)} s)`,
    );
  }
  return { server, ingest, allSearchableS, cpuUsPerRecord, memoryPeak, patterns };
}

/**
 * Waits until the server has counted the message patterns of every closed day (it does so in the
 * background, once a day has been quiet for 30 s and loads have stopped: pattern-indexer.ts), so
 * the queries that follow meet the store a user meets a minute after ingest, not one mid-way.
 * Null when patterns are off.
 */
async function patternsCounted(base: string, pid: number) {
  const started = performance.now();
  const cpuBefore = await cpuSeconds(pid);
  const gauge = async (state: string) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const m = new RegExp(`^sawmill_message_pattern_days\\{state="${state}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const deadline = Date.now() + 600_000;
  for (let waiting = await gauge('waiting'); waiting !== 0; waiting = await gauge('waiting')) {
    if (waiting === null) return null;
    if (Date.now() > deadline) throw new Error('timed out waiting for the message patterns');
    await new Promise((r) => setTimeout(r, 500)); // a scrape costs the server a little: not too often
  }
  return {
    days: (await gauge('counted')) ?? 0,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (await cpuSeconds(pid)) - cpuBefore,
  };
}

/** User + system CPU seconds a process has used (/proc/<pid>/stat, clock ticks of 10 ms). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function renderAb(
  ab: Array<{ name: string; off: Timing; on: Timing }>,
  offRun: { ingest: LoadResult; cpuUsPerRecord: number },
  onRun: { ingest: LoadResult; cpuUsPerRecord: number },
  offBytes: number,
  onBytes: number,
): string {
  const offIngest = offRun.ingest;
  const onIngest = onRun.ingest;
  const lines = [
    '## Token filters A/B (same run: the same data in a second server with SAWMILL_TOKEN_FILTERS=off; queries interleaved, 2 × 10 runs each)',
    '',
    '| measure | filters off | filters on | on / off |',
    '|---|---|---|---|',
    `| ingest, records/s | ${Math.round(offIngest.perSecond).toLocaleString('en')} | ${Math.round(onIngest.perSecond).toLocaleString('en')} | ${(onIngest.perSecond / offIngest.perSecond).toFixed(2)} |`,
    `| server CPU per record, ingest until all loaded, µs | ${offRun.cpuUsPerRecord.toFixed(1)} | ${onRun.cpuUsPerRecord.toFixed(1)} | ${(onRun.cpuUsPerRecord / offRun.cpuUsPerRecord).toFixed(2)} |`,
    `| bytes per record on disk | ${offBytes.toFixed(1)} | ${onBytes.toFixed(1)} | ${(onBytes / offBytes).toFixed(3)} |`,
    ...ab.map(
      ({ name, off, on }) =>
        `| ${name}, p50 ms | ${off.p50.toFixed(1)} | ${on.p50.toFixed(1)} | ${(on.p50 / off.p50).toFixed(2)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

interface ReportInput {
  ingest: LoadResult;
  baselineNull: LoadResult | null;
  engine: { perSecond: number; bytesPerRecord: number } | null;
  allSearchableS: number;
  patterns: { days: number; seconds: number; cpuSeconds: number } | null;
  bytesPerRecord: number;
  peakRss: number;
  rssAfterIngest: number;
  memoryPeak: MemorySplit | null;
  timings: Array<{ name: string; t: Timing; rg: number | null; targetMs?: number; newest50?: boolean }>;
  fileBytes: number;
}

function renderReport(r: ReportInput): string {
  const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
  const ratio = r.baselineNull ? r.ingest.perSecond / r.baselineNull.perSecond : null;
  const lines = [
    `# Sawmill benchmark — ${size.toLocaleString('en')} records`,
    '',
    `${new Date().toISOString()} · ${cpus().length} cores (${cpus()[0]?.model ?? '?'}) · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version} · ${clients} clients × ${batch} records/request · data ${(r.fileBytes / size).toFixed(0)} B/record NDJSON · client, server and baselines on the same machine`,
    '',
    '## Ingest and storage',
    '',
    '| measure | value | baseline (same run) | target (issue #2, at 10M) |',
    '|---|---|---|---|',
    `| ingest over HTTP, acknowledged durable | ${Math.round(r.ingest.perSecond).toLocaleString('en')} records/s (${r.ingest.retries} retries) | null sink ${r.baselineNull ? Math.round(r.baselineNull.perSecond).toLocaleString('en') : '—'} records/s → ratio ${ratio?.toFixed(2) ?? '—'} | ≥ 150,000/s: ${mark(r.ingest.perSecond >= 150_000)}; ≥ 0.5 × null sink: ${ratio === null ? '—' : mark(ratio >= 0.5)} |`,
    `| all records searchable after | ${r.allSearchableS.toFixed(1)} s | DuckDB read_ndjson ${r.engine ? Math.round(r.engine.perSecond).toLocaleString('en') : '—'} records/s | — |`,
    `| message patterns of closed days counted (in the background, before the queries below) | ${r.patterns ? `${r.patterns.days} days, ${r.patterns.seconds.toFixed(1)} s after all searchable (server CPU ${r.patterns.cpuSeconds.toFixed(1)} s)` : 'off'} | — | — |`,
    `| bytes per record on disk | ${r.bytesPerRecord.toFixed(1)} B | DuckDB read_ndjson table ${r.engine?.bytesPerRecord.toFixed(1) ?? '—'} B | ≤ 60: ${mark(r.bytesPerRecord <= 60)} |`,
    `| peak RSS (server) | ${r.peakRss.toFixed(0)} MB (after ingest ${r.rssAfterIngest.toFixed(0)} MB) | — | ≤ 1024 MB: ${mark(r.peakRss <= 1024)} |`,
    `| RSS at its highest sample during ingest (/metrics, every second) | ${renderMemory(r.memoryPeak)} | — | — |`,
    '',
    "## Queries (client wall time, 20 runs after 2 warm-ups; newest-50 shapes with `total=false`; the count shape is a search's exact `total`)",
    '',
    'First run: the first request of the shape, before the server kept any per-day answer of it (its counts, histograms and bounds are kept per unchanged day; p50 and p95 include those hits).',
    '',
    '| shape | first run ms | p50 ms | p95 ms | server p50 ms | ripgrep ms | speed-up vs ripgrep | target p50 at 10M |',
    '|---|---|---|---|---|---|---|---|',
    ...r.timings.map(({ name, t, rg, targetMs, newest50 }) => {
      const speedup = rg ? rg / t.p50 : null;
      const goal = [
        targetMs ? `≤ ${targetMs} ms: ${mark(t.p50 <= targetMs)}` : '',
        newest50 && speedup ? `≥ 10× rg: ${mark(speedup >= 10)}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return `| ${name} | ${t.first.toFixed(1)} | ${t.p50.toFixed(1)} | ${t.p95.toFixed(1)} | ${t.serverP50.toFixed(1)} | ${rg?.toFixed(0) ?? '—'} | ${speedup ? `${speedup.toFixed(1)}×` : '—'} | ${goal || '—'} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
