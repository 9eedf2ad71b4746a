import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_RECORD } from './fixtures/reference-record.js';
import { runCli } from './helpers/cli.js';
import { ROOT, searchWhenCount, startTestServer, type TestServer } from './helpers/server.js';

/** The `sawmill` CLI as a user runs it: a separate process talking HTTP to a real server. */
let s: TestServer;

const cli = (args: string[], stdin?: string) => runCli(s.url, args, stdin);

const RECORDS = [
  REFERENCE_RECORD,
  { level: 'info', message: 'All good', resourceId: 'server-1', timestamp: '2023-09-12T00:00:00Z' },
  { level: 'error', message: 'Disk full', resourceId: 'server-7', timestamp: '2023-09-20T00:00:00Z' },
];

beforeAll(async () => {
  s = await startTestServer();
  const file = path.join(s.dataDir, 'in.json');
  await writeFile(file, JSON.stringify(RECORDS, null, 2)); // a pretty-printed JSON array
  const r = await cli(['ingest', file]);
  expect(r.stderr).toContain('accepted 3');
  expect(r.code).toBe(0);
  await searchWhenCount(s.url, { q: '' }, 3);
});
afterAll(() => s.close());

const messages = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).message)
    .sort();

describe('sawmill search', () => {
  it.each([
    ['level:error', ['Disk full', 'Failed to connect to DB']],
    ['"Failed to connect"', ['Failed to connect to DB']],
    ['resourceId:server-1234', ['Failed to connect to DB']],
    ['timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]', ['All good', 'Failed to connect to DB']],
  ])('%s (NDJSON when piped)', async (q, expected) => {
    const r = await cli(['search', q]);
    expect(r.code).toBe(0);
    expect(messages(r.stdout)).toEqual(expected);
  });

  it('takes the range as --from/--to', async () => {
    const r = await cli(['search', '--from', '2023-09-10T00:00:00Z', '--to', '2023-09-15T23:59:59Z']);
    expect(messages(r.stdout)).toEqual(['All good', 'Failed to connect to DB']);
  });

  it('prints a table, and pages with --all', async () => {
    const table = await cli(['search', 'level:error', '--output', 'table']);
    expect(table.stdout).toMatch(/2023-09-20T00:00:00.000Z {2}ERROR {2}server-7 +Disk full/);
    expect(table.stderr).toContain('showing 2 of 2');
    const all = await cli(['search', '', '--limit', '1', '--all']);
    expect(messages(all.stdout)).toHaveLength(3);
  });

  it('reports a syntax error with its position and exits non-zero', async () => {
    const r = await cli(['search', 'level:']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('position 6');
  });

  it('says clearly when the server is unreachable', async () => {
    const r = await cli(['--url', 'http://127.0.0.1:9', 'search', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Sawmill at http:\/\/127.0.0.1:9/);
  });
});

describe('sawmill ingest', () => {
  it('reads NDJSON from stdin and exits 2 when some records were rejected', async () => {
    const r = await cli(['ingest', '-'], '{"message":"from stdin","resourceId":"stdin-1"}\n{"nope":true}\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('accepted 1');
    expect(r.stderr).toContain('line 2: missing_message');
    await searchWhenCount(s.url, { q: 'resourceId:stdin-1' }, 1);
  });
});

describe('sawmill tail', () => {
  it('prints new matching records as they arrive', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'tail', 'resourceId:tail-1'],
      {
        cwd: ROOT,
        env: { ...process.env, SAWMILL_URL: s.url },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      // Once the tail is connected, every newly acknowledged record must show up.
      const deadline = Date.now() + 15_000;
      let n = 0;
      while (!out.includes('tailed') && Date.now() < deadline) {
        await cli(
          ['ingest', '-'],
          `{"message":"tailed ${n++}","resourceId":"tail-1"}\n{"message":"other","resourceId":"x"}\n`,
        );
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(JSON.parse(out.split('\n')[0]!)).toMatchObject({ resourceId: 'tail-1' });
      expect(out).not.toContain('"other"');
    } finally {
      child.kill('SIGINT');
    }
  }, 30_000);
});
