import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { firstPageAndHistogram } from './ui.js';

/**
 * `npx tsx bench/restart-ab.ts <data dir> [VARIABLE]`: one store (a data directory `npm run
 * bench -- --keep` left behind) served in turn with VARIABLE=off and =on (default
 * SAWMILL_MESSAGE_PATTERNS), two rounds, a fresh process each time, so every view's first
 * request meets no answer the process kept. Times the UI's first page + histogram (as bench/ui.ts)
 * the first time after the start and the median of 7 more; writes bench/results/<date>-restart-ab[-<hhmm>].md.
 * With patterns, the first start waits until every closed day is counted.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const [dir, variable = 'SAWMILL_MESSAGE_PATTERNS'] = process.argv.slice(2);
if (!dir) throw new Error('usage: restart-ab.ts <data dir> [VARIABLE]');
const VIEWS: Array<[string, Record<string, string>]> = [
  ['all time, "connection refused"', { q: '"connection refused"' }],
  ['all time, "Failed to connect"', { q: '"Failed to connect"' }],
  ['all time, timeout', { q: 'timeout' }],
  ['all time, level:error AND "connection refused"', { q: 'level:error AND "connection refused"' }],
  ['all time, no query', {}],
];
let port = 39_000 + Math.floor(Math.random() * 1000);

async function serve(value: string) {
  port++;
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'dist/src/cli/main.js'),
      'serve',
      ...['--port', String(port), '--host', '127.0.0.1', '--data', dir!, '--log-level', 'warn'],
      ...['--syslog-port', 'off', '--gelf-port', 'off'],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, [variable]: value } },
  );
  for (;;) {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGTERM');
      return new Promise((r) => child.on('exit', r));
    },
  };
}

// Let the server count what it counts in the background before the rounds (message patterns).
const warm = await serve('on');
const gauge = async () =>
  /^sawmill_message_pattern_days\{state="waiting"\} (\d+)$/m.exec(
    await (await fetch(`${warm.base}/metrics`)).text(),
  );
for (let m = await gauge(); m && m[1] !== '0'; m = await gauge())
  await new Promise((r) => setTimeout(r, 500));
await warm.stop();

const rows = new Map<string, Record<string, Array<[number, number]>>>();
for (let round = 0; round < 2; round++) {
  for (const value of ['off', 'on']) {
    const server = await serve(value);
    await new Promise((r) => setTimeout(r, 2000));
    for (const [name, params] of VIEWS) {
      const first = await firstPageAndHistogram(server.base, params);
      const again: number[] = [];
      for (let i = 0; i < 7; i++) again.push(await firstPageAndHistogram(server.base, params));
      const median = again.sort((a, b) => a - b)[3]!;
      const byValue = rows.get(name) ?? {};
      byValue[value] = [...(byValue[value] ?? []), [first, median]];
      rows.set(name, byValue);
      process.stderr.write(
        `[restart-ab] round ${round} ${variable}=${value} ${name}: first ${first.toFixed(0)} ms, again ${median.toFixed(1)} ms\n`,
      );
    }
    await server.stop();
  }
}
const both = (xs: Array<[number, number]>, i: 0 | 1) => xs.map((x) => x[i].toFixed(0)).join(' / ');
const report = [
  `# ${variable} off and on, a fresh server each time — ${new Date().toISOString()}`,
  '',
  `Data: ${dir}. \`npx tsx bench/restart-ab.ts ${dir} ${variable}\`; two rounds (off, on, off, on); each cell gives both rounds. The UI's first page of 200 + histogram, requested together; "first" is the view's first request after the start, "again" the median of the next 7.`,
  '',
  '| view | first, off | first, on | again, off | again, on |',
  '|---|---|---|---|---|',
  ...[...rows].map(
    ([name, v]) =>
      `| ${name} | ${both(v.off!, 0)} | ${both(v.on!, 0)} | ${both(v.off!, 1)} | ${both(v.on!, 1)} |`,
  ),
  '',
].join('\n');
// A second run the same day gets the time too: a committed report is never overwritten.
const stamp = new Date().toISOString();
let out = path.join(ROOT, `bench/results/${stamp.slice(0, 10)}-restart-ab.md`);
if (existsSync(out)) out = out.replace(/\.md$/, `-${stamp.slice(11, 16).replace(':', '')}.md`);
await writeFile(out, report);
process.stdout.write(report);
