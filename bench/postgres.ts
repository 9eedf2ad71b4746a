import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DEFAULT_LIMITS } from '../src/model/limits.js';
import { normaliseRecord, serialiseRecord } from '../src/model/normalise.js';
import type { StoredRecord } from '../src/model/record.js';
import { parseQuery } from '../src/query/parse.js';
import { autoInterval } from '../src/store/interval.js';
import { COPY_COLUMNS, copyLine } from '../src/store/postgres/loader.js';
import { PostgresStore } from '../src/store/postgres/pg-store.js';
import { median, numberFlag } from './common.js';
import { COMMON_WORD, END, RARE_WORD, records, SPAN_MS } from './generate.js';

/**
 * PostgresStore on the real PostgreSQL: load rate of `load()` with generated parts (1 and 2
 * concurrent loaders), a same-run baseline (the same COPY text into tables with fewer indexes,
 * down to none), then newest-50 latencies at the loaded size, and the text queries again without
 * the trigram index. A fresh database, dropped at the end. Not part of `npm test`.
 *
 *   npx tsx bench/postgres.ts --records 1000000 --part 2000
 *   npx tsx bench/postgres.ts --records 200000 --part 500 --load-only   (load phases only)
 */
const ADMIN_URL = process.env.SAWMILL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RECORDS = numberFlag('records', 1_000_000);
const PART = numberFlag('part', 2000);
const RUNS = numberFlag('runs', 15);
const LADDER_ROWS = numberFlag('ladder', 100_000);
const LOAD_ONLY = process.argv.includes('--load-only');

/** Parts of `PART` NDJSON lines, made by the real normaliser; ids ascending like a real node. */
function* parts(n: number, seed: number, firstId: bigint): Generator<{ key: string; lines: string[] }> {
  const nowMicros = END * 1000 + 3_600_000_000;
  let lines: string[] = [];
  let id = firstId;
  let k = 0;
  for (const candidate of records(n, seed)) {
    const res = normaliseRecord(candidate, { limits: DEFAULT_LIMITS, nowMicros });
    if ('error' in res) continue;
    res.record.id = String(id++);
    lines.push(serialiseRecord(res.record, DEFAULT_LIMITS) as string);
    if (lines.length === PART) {
      yield { key: `bench-${seed}-${k++}`, lines };
      lines = [];
    }
  }
  if (lines.length > 0) yield { key: `bench-${seed}-${k++}`, lines };
}

async function loadWith(
  store: PostgresStore,
  source: Iterator<{ key: string; lines: string[] }>,
  loaders: number,
) {
  let rows = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: loaders }, async () => {
      for (let next = source.next(); !next.done; next = source.next()) {
        // Not `rows += await …`: that reads `rows` before the await and loses the other loader's rows.
        const { inserted } = await store.load({ parts: [next.value] });
        rows += inserted;
      }
    }),
  );
  return { rows, seconds: (performance.now() - t0) / 1000 };
}

/** The COPY text the store's loader sends, for the baseline tables. */
function copyText(lines: string[]): string {
  return lines.map((l) => copyLine(JSON.parse(l) as StoredRecord)).join('');
}

const BTREES = [
  '(ts, id)',
  '(id)',
  '(resource_id, ts)',
  '(trace_w3c)',
  '(trace_id) WHERE trace_id IS NOT NULL',
];
const KEYWORDS = [...BTREES, '(span_w3c)', '(span_id) WHERE span_id IS NOT NULL', '(commit_id)'];
const LADDER: Array<{ name: string; indexes: string[] }> = [
  { name: 'no index (baseline)', indexes: [] },
  { name: '+ btree (ts, id)', indexes: ['(ts, id)'] },
  { name: '+ btree id, (resource_id, ts), trace ids', indexes: BTREES },
  { name: '+ btree span ids, commit_id', indexes: KEYWORDS },
  {
    name: '+ GIN pg_trgm on message (= the store)',
    indexes: [...KEYWORDS, 'USING gin (message gin_trgm_ops)'],
  },
];

async function ladder(url: string): Promise<string[]> {
  const text: string[] = [];
  for (const p of parts(LADDER_ROWS, 7, 1n)) text.push(copyText(p.lines));
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const out: string[] = [];
  for (const [i, step] of LADDER.entries()) {
    const t = `bench_ladder_${i}`;
    await c.query(`CREATE TABLE ${t} (LIKE sawmill_logs)`);
    for (const [j, ix] of step.indexes.entries()) await c.query(`CREATE INDEX ${t}_${j} ON ${t} ${ix}`);
    const t0 = performance.now();
    for (const chunk of text) {
      await pipeline([chunk], c.query(copyFrom(`COPY ${t} (${COPY_COLUMNS}) FROM STDIN`)));
    }
    const s = (performance.now() - t0) / 1000;
    const size = await c.query<{ b: string }>(`SELECT pg_total_relation_size($1::regclass)::text AS b`, [t]);
    out.push(
      `| ${step.name} | ${Math.round(LADDER_ROWS / s).toLocaleString('en')} | ${Math.round(Number(size.rows[0]!.b) / LADDER_ROWS)} |`,
    );
    await c.query(`DROP TABLE ${t}`);
  }
  await c.end();
  return out;
}

async function timeIt(fn: () => Promise<unknown>): Promise<{ p50: number; max: number }> {
  for (let i = 0; i < 2; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return { p50: median(xs), max: Math.max(...xs) };
}

async function main(): Promise<void> {
  const db = `sawmill_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(
    `CREATE DATABASE ${db} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
  );
  const url = new URL(ADMIN_URL);
  url.pathname = `/${db}`;
  const store = new PostgresStore({ url: url.toString(), queryTimeoutMs: 60_000, poolSize: 4 });
  const md: string[] = [];
  try {
    await store.open();
    md.push(`## PostgresStore, ${RECORDS.toLocaleString('en')} records, ${PART}-record parts\n`);
    md.push('| load phase | records | seconds | logs/s |', '|---|---|---|---|');
    // Seeds and id ranges differ per phase, so no part repeats; the phases fill one table.
    const phases: Array<[string, number, number]> = [
      ['1 loader', Math.round(RECORDS * 0.2), 1],
      ['2 concurrent loaders', RECORDS - Math.round(RECORDS * 0.2), 2],
    ];
    let firstId = 1n << 40n;
    for (const [i, [name, n, loaders]] of phases.entries()) {
      const r = await loadWith(store, parts(n, 42 + i, firstId), loaders);
      firstId += BigInt(n) + 1n;
      md.push(
        `| ${name} | ${r.rows.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${Math.round(r.rows / r.seconds).toLocaleString('en')} |`,
      );
    }
    const stats = await store.stats();
    md.push(
      '',
      `${stats.records.toLocaleString('en')} records in ${stats.partitions} partitions, ${Math.round(stats.bytesOnDisk / stats.records)} bytes/record on disk (tables + indexes + rollup).`,
      '',
    );
    if (LOAD_ONLY) return;

    md.push(
      `### Index cost: COPY of ${LADDER_ROWS.toLocaleString('en')} records into an empty plain table`,
      '',
    );
    md.push('| indexes | logs/s | bytes/record |', '|---|---|---|');
    md.push(...(await ladder(url.toString())), '');

    // Autovacuum would analyse the new partitions soon; the bench does it now.
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    await c.query('ANALYZE');
    const trace = (
      await c.query<{ t: string }>(
        "SELECT replace(trace_w3c::text, '-', '') AS t FROM sawmill_logs OFFSET 1000 LIMIT 1",
      )
    ).rows[0]!.t;
    const tailFrom = BigInt(
      (
        await c.query<{ id: string }>(
          'SELECT id::text AS id FROM sawmill_logs ORDER BY id DESC OFFSET 5000 LIMIT 1',
        )
      ).rows[0]!.id,
    );
    const hour = new Date(END - SPAN_MS / 2).toISOString().slice(0, 13);
    const from = (END - SPAN_MS) * 1000;
    const to = END * 1000;
    const search =
      (q: string, extra: { from?: number; to?: number } = {}) =>
      () =>
        store.search({ query: parseQuery(q), limit: 50, withTotal: false, ...extra });
    const shapes: Array<[string, () => Promise<unknown>, boolean]> = [
      [`word \`${COMMON_WORD}\``, search(COMMON_WORD), true],
      ['phrase `"Failed to connect"`', search('"Failed to connect"'), true],
      [`rare word \`${RARE_WORD}\``, search(RARE_WORD), true],
      ['regex `message:/conn(ect\\|ection) refused/`', search('message:/conn(ect|ection) refused/'), true],
      ['`level:error`', search('level:error'), false],
      ['`level:error AND resourceId:server-0012`', search('level:error AND resourceId:server-0012'), false],
      ['`traceId:…` exact', search(`traceId:${trace}`), false],
      ['field-less keyword value `server-0500`', search('server-0500'), false],
      [
        '1-hour window',
        search('*', {
          from: Date.parse(`${hour}:00:00Z`) * 1000,
          to: Date.parse(`${hour}:59:59.999Z`) * 1000,
        }),
        false,
      ],
      [
        '7-day histogram (rollup)',
        () => store.histogram({ query: parseQuery('*'), from, to, intervalMicros: autoInterval(from, to) }),
        false,
      ],
      [
        '7-day histogram, `resourceId:*` (every record; a scan)',
        () =>
          store.histogram({
            query: parseQuery('resourceId:*'),
            from,
            to,
            intervalMicros: autoInterval(from, to),
          }),
        false,
      ],
      [
        '7-day histogram, `level:error` (rollup)',
        () =>
          store.histogram({
            query: parseQuery('level:error'),
            from,
            to,
            intervalMicros: autoInterval(from, to),
          }),
        false,
      ],
      ['total of `*` (rollup)', () => store.count({ query: parseQuery('*') }), false],
      [`total of \`${COMMON_WORD}\``, () => store.count({ query: parseQuery(COMMON_WORD) }), true],
      [
        'since: one 2,000-record batch (live tail)',
        () => store.since(parseQuery('*'), String(tailFrom), 2000, String(tailFrom + 2000n)),
        false,
      ],
      ['context 20 / 20', () => store.context(String(tailFrom), 20, 20), false],
    ];
    md.push(`### Queries at ${stats.records.toLocaleString('en')} records (median of ${RUNS}, ms)`, '');
    md.push('| query | p50 | max |', '|---|---|---|');
    const text: Array<[string, () => Promise<unknown>]> = [];
    for (const [name, fn, usesText] of shapes) {
      const t = await timeIt(fn);
      md.push(`| ${name} | ${t.p50.toFixed(1)} | ${t.max.toFixed(1)} |`);
      if (usesText) text.push([name, fn]);
    }
    await c.query('DROP INDEX sawmill_logs_message');
    md.push(
      '',
      '### The text queries without the trigram index (ms)',
      '',
      '| query | p50 | max |',
      '|---|---|---|',
    );
    for (const [name, fn] of text) {
      const t = await timeIt(fn);
      md.push(`| ${name} | ${t.p50.toFixed(1)} | ${t.max.toFixed(1)} |`);
    }
    await c.end();
  } finally {
    await store.close().catch(() => {});
    if (!process.argv.includes('--keep')) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    process.stdout.write(`${md.join('\n')}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`postgres bench failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
