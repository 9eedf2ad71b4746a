#!/usr/bin/env node
import { Command, Option } from 'commander';
import { changeDeadLetters, listDeadLetters } from './commands/dead-letters.js';
import { ingest } from './commands/ingest.js';
import { keygen } from './commands/keygen.js';
import { search } from './commands/search.js';
import { serve } from './commands/serve.js';
import { tail } from './commands/tail.js';
import { whoami } from './commands/whoami.js';
import { CliError, type ClientOptions } from './http.js';

/** The `sawmill` command: wiring only; each subcommand lives in commands/. */
const program = new Command('sawmill')
  .description('Self-hosted log ingestion and search')
  .option('--url <url>', 'server URL (env SAWMILL_URL)', process.env.SAWMILL_URL ?? 'http://localhost:3000')
  .option(
    '--token <key>',
    'access key, when the server has access control (env SAWMILL_TOKEN)',
    process.env.SAWMILL_TOKEN,
  )
  .option('--no-color', 'plain output even on a terminal')
  .showHelpAfterError();

const client = (): ClientOptions => {
  const o = program.opts<{ url: string; token?: string }>();
  return { url: o.url, token: o.token };
};
const color = () => program.opts<{ color: boolean }>().color;

program
  .command('serve')
  .description('run the server (HTTP API on --port, data in --data)')
  .option('--port <port>', 'HTTP port (env PORT)')
  .option('--host <host>', 'listen address (env SAWMILL_HOST)')
  .option('--data <dir>', 'data directory (env SAWMILL_DATA)')
  .option('--retention <duration>', 'delete records older than this, e.g. 30d (env SAWMILL_RETENTION)')
  .option('--query-timeout <duration>', 'stop queries running longer, e.g. 30s (env SAWMILL_QUERY_TIMEOUT)')
  .option('--log-level <level>', 'debug | info | warn | error | silent (env SAWMILL_LOG_LEVEL)')
  .option('--syslog-port <port>', 'syslog TCP+UDP port, 0 = off (env SAWMILL_SYSLOG_PORT, default 5140)')
  .option('--gelf-port <port>', 'GELF TCP+UDP port, 0 = off (env SAWMILL_GELF_PORT, default 12201)')
  .option('--role <roles>', 'cluster role: ingest | worker | query | all, or a comma list (env SAWMILL_ROLE)')
  .option('--store <url>', 'cluster store, postgres://… (env SAWMILL_STORE)')
  .option('--buffer <url>', 'cluster buffer, amqp://… (env SAWMILL_BUFFER)')
  .option('--cache <url>', 'cluster cache and tail fan-out, redis://… (env SAWMILL_CACHE)')
  .option('--access-file <file>', 'keys and roles: turns access control on (env SAWMILL_ACCESS_FILE)')
  .action((flags) => serve(flags));

program
  .command('keygen')
  .description('make a new access key and the entry for the access file (docs/access.md)')
  .requiredOption('--name <name>', 'key name (also the user name for basic auth)')
  .option('--role <role>', 'admin | editor | viewer | ingest, or a role of the access file', 'viewer')
  .option('--file <file>', 'add the entry to this access file (created if missing)')
  .action((flags: { name: string; role: string; file?: string }) => keygen(flags));

program
  .command('whoami')
  .description("the key's name, role, permissions and filter, as the server sees it")
  .action(() => whoami(client()));

program
  .command('search')
  .description("search, newest first: sawmill search 'level:error AND resourceId:server-12*'")
  .argument('[query]', 'query (docs/query-language.md); empty = everything', '')
  .option('--from <time>', 'start: RFC 3339, epoch, or relative like now-1h')
  .option('--to <time>', 'end: RFC 3339, epoch, or relative like now')
  .option('--limit <n>', 'records per page', '100')
  .addOption(
    new Option('--output <format>', 'table (terminal default), json, ndjson (piped default)').choices([
      'table',
      'json',
      'ndjson',
    ]),
  )
  .option('--all', 'follow the cursor through every page')
  .action((query: string, flags) => search(client(), query, { ...flags, color: color() }));

program
  .command('tail')
  .description('follow new matching records live')
  .argument('[query]', 'query; empty = everything', '')
  .addOption(new Option('--output <format>', 'table or ndjson').choices(['table', 'ndjson']))
  .action((query: string, flags) => tail(client(), query, { ...flags, color: color() }));

program
  .command('ingest')
  .description('send a JSON or NDJSON file (or - for stdin) to the server')
  .argument('<file>', 'file path, or - for stdin')
  .option('--batch <n>', 'records per request', '1000')
  .option('--concurrency <n>', 'requests in flight', '4')
  .action(async (file: string, flags) => {
    process.exitCode = await ingest(client(), file, { ...flags, color: color() });
  });

const deadLetters = program
  .command('dead-letters')
  .description('batches a cluster worker could not load (list, replay, drop)');
deadLetters
  .command('list')
  .description('list dead letters with the reason each failed')
  .option('--limit <n>', 'how many to list', '100')
  .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']))
  .action((flags) => listDeadLetters(client(), flags));
deadLetters
  .command('replay')
  .description('send dead letters back to the ingest queue (all when no key is named)')
  .argument('[keys...]', 'dead-letter keys, as listed')
  .action((keys: string[]) => changeDeadLetters(client(), 'replay', keys));
deadLetters
  .command('drop')
  .description('delete dead letters for good')
  .argument('<keys...>', 'dead-letter keys, as listed')
  .action((keys: string[]) => changeDeadLetters(client(), 'drop', keys));

program.parseAsync().catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`sawmill: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`sawmill: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
