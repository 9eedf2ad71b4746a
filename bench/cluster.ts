import { type ClusterNode, createClusterServices, spawnNode } from '../test/helpers/cluster.js';
import { freePort, runIfMain, startSawmill } from './common.js';
import { END, records, SPAN_MS } from './generate.js';
import { type LoadResult, postAll } from './load.js';
import { shapes, type Timing, time } from './queries.js';

/**
 * Cluster mode beside embedded mode, in the same run (`npm run bench -- --cluster`, or
 * `tsx bench/cluster.ts --records 300000` after `npm run build`). Every topology gets fresh
 * services (a new PostgreSQL database, RabbitMQ vhost and Redis prefix) and all its nodes on
 * this one machine, sharing its cores with the load generator, PostgreSQL and RabbitMQ:
 *
 * - ingest rate: records/s acknowledged (= confirmed by the broker) over HTTP;
 * - loaded rate: records/s from the first request until the query node counts every record,
 *   which is what adding a worker should raise;
 * - a few query shapes on the query node next to the same shapes on the embedded server.
 */
interface Topology {
  name: string;
  ingest: number;
  workers: number;
}

const TOPOLOGIES: Topology[] = [
  { name: '1 ingest + 1 worker + 1 query', ingest: 1, workers: 1 },
  { name: '1 ingest + 2 workers + 1 query', ingest: 1, workers: 2 },
  { name: '2 ingest + 2 workers + 1 query', ingest: 2, workers: 2 },
];

const SHAPES = ['level+resourceId newest-50', 'word newest-50', 'traceId exact', '7-day histogram'];
const FIRST_HISTOGRAM = '7-day histogram of a filter, first request';
const REPEATED_HISTOGRAM = 'the same, repeated';
const COLUMNS = [...SHAPES, FIRST_HISTOGRAM, REPEATED_HISTOGRAM];

interface Row {
  name: string;
  ingest: LoadResult;
  loadedPerSecond: number;
  timings: Map<string, Timing>;
}

function bodiesOf(n: number, batch: number): Buffer[] {
  const out: Buffer[] = [];
  let lines: string[] = [];
  for (const r of records(n)) {
    lines.push(JSON.stringify(r));
    if (lines.length === batch) {
      out.push(Buffer.from(`${lines.join('\n')}\n`));
      lines = [];
    }
  }
  if (lines.length > 0) out.push(Buffer.from(`${lines.join('\n')}\n`));
  return out;
}

async function waitTotal(base: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/api/v1/search?limit=1`).catch(() => null);
    const total = res?.ok ? ((await res.json()) as { total: number }).total : 0;
    if (total >= n) return;
    if (Date.now() > deadline)
      throw new Error(`only ${total} of ${n} records searchable after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timeShapes(base: string, traceId: string): Promise<Map<string, Timing>> {
  const out = new Map<string, Timing>();
  for (const shape of shapes(traceId).filter((s) => SHAPES.includes(s.name))) {
    out.set(shape.name, await time(base, shape, 10, 2));
  }
  // The first request of a histogram is computed by the store; repeats of a closed range come
  // from the query cache on a cluster (embedded mode has none: both are the store).
  const histogram = {
    name: FIRST_HISTOGRAM,
    path: '/api/v1/histogram',
    params: {
      q: 'level:error AND resourceId:server-00*',
      from: new Date(END - SPAN_MS).toISOString(),
      to: new Date(END).toISOString(),
    },
  };
  out.set(FIRST_HISTOGRAM, await time(base, histogram, 1, 0));
  out.set(REPEATED_HISTOGRAM, await time(base, histogram, 10, 0));
  return out;
}

export async function clusterBench(opts: {
  records: number;
  batch: number;
  clients: number;
  log: (msg: string) => void;
}): Promise<{ markdown: string }> {
  const { records: n, batch, clients, log } = opts;
  const all = bodiesOf(n, batch);
  const traceId = (
    JSON.parse(all[Math.floor(all.length / 2)]!.toString().split('\n')[0]!) as { traceId: string }
  ).traceId;
  const rows: Row[] = [];

  const embedded = await startSawmill('sawmill-bench-embedded-');
  try {
    const base = `http://127.0.0.1:${embedded.port}`;
    const started = performance.now();
    const ingest = await postAll(embedded.port, '/api/v1/logs', all, n, clients);
    await waitTotal(base, n, 300_000);
    const loadedPerSecond = n / ((performance.now() - started) / 1000);
    log(`embedded: ${Math.round(ingest.perSecond)} records/s acknowledged`);
    rows.push({
      name: 'embedded (one process)',
      ingest,
      loadedPerSecond,
      timings: await timeShapes(base, traceId),
    });
  } finally {
    await embedded.stop();
  }

  for (const topo of TOPOLOGIES) {
    const s = await createClusterServices('the cluster benchmark');
    if (!s) throw new Error('the cluster benchmark needs PostgreSQL, RabbitMQ and Redis on this machine');
    const nodes: ClusterNode[] = [];
    const start = async (role: string) => {
      const node = await spawnNode(s, role, await freePort(), {}, 'dist');
      nodes.push(node);
      return node;
    };
    try {
      const ingestNodes = await Promise.all(Array.from({ length: topo.ingest }, () => start('ingest')));
      await Promise.all(Array.from({ length: topo.workers }, () => start('worker')));
      const query = await start('query');
      const started = performance.now();
      const ingest = await postAll(
        ingestNodes.map((x) => x.port),
        '/api/v1/logs',
        all,
        n,
        clients,
      );
      await waitTotal(query.url, n, 600_000);
      const loadedPerSecond = n / ((performance.now() - started) / 1000);
      log(
        `${topo.name}: ${Math.round(ingest.perSecond)} records/s acknowledged, ${Math.round(loadedPerSecond)} records/s loaded`,
      );
      rows.push({ name: topo.name, ingest, loadedPerSecond, timings: await timeShapes(query.url, traceId) });
    } finally {
      await Promise.all(nodes.map((x) => x.stop().catch(() => x.kill9())));
      await s.cleanup();
    }
  }
  return { markdown: render(rows, n, batch, clients) };
}

function render(rows: Row[], n: number, batch: number, clients: number): string {
  const base = rows[0]!;
  const fmt = (x: number) => Math.round(x).toLocaleString('en');
  return [
    `## Cluster mode beside embedded mode (${n.toLocaleString('en')} records, ${clients} clients × ${batch} records/request, every process on this machine)`,
    '',
    "Ingest = acknowledged (embedded: fsync'd; cluster: confirmed by RabbitMQ). Loaded = from the first request until the query node counts every record. Target (issue #5): ≥ 40,000 records/s acknowledged.",
    '',
    `| topology | ingest records/s | ratio to embedded | loaded records/s | ${COLUMNS.map((x) => `${x} p50 ms`).join(' | ')} |`,
    `|---|---|---|---|${COLUMNS.map(() => '---').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.ingest.perSecond)} | ${(r.ingest.perSecond / base.ingest.perSecond).toFixed(2)} | ${fmt(r.loadedPerSecond)} | ${COLUMNS.map((x) => r.timings.get(x)?.p50.toFixed(1) ?? '—').join(' | ')} |`,
    ),
    '',
  ].join('\n');
}

runIfMain(import.meta.filename, 'cluster', ({ records: n, batch, clients }) =>
  clusterBench({ records: n, batch, clients, log: (m) => process.stderr.write(`[cluster] ${m}\n`) }),
);
