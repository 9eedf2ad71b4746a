import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** The engine's ceiling: DuckDB bulk-loading the same NDJSON natively into a fresh file. */
export async function duckdbReadNdjson(
  file: string,
  records: number,
): Promise<{ perSecond: number; bytesPerRecord: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sawmill-bench-duckdb-'));
  try {
    const db = path.join(dir, 'baseline.duckdb');
    const instance = await DuckDBInstance.create(db, { threads: '2' });
    const conn = await instance.connect();
    const started = performance.now();
    await conn.run(`CREATE TABLE t AS SELECT * FROM read_ndjson('${file.replaceAll("'", "''")}')`);
    const seconds = (performance.now() - started) / 1000;
    await conn.run('CHECKPOINT');
    conn.closeSync();
    instance.closeSync();
    return { perSecond: records / seconds, bytesPerRecord: (await stat(db)).size / records };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Wall time of a ripgrep pipeline over the raw NDJSON (median of `runs`), in ms. */
export function ripgrepMs(pipeline: string, runs = 3): number | null {
  if (spawnSync('rg', ['--version']).status !== 0) return null;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    spawnSync('bash', ['-c', `${pipeline} > /dev/null`], { stdio: 'ignore' });
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}
