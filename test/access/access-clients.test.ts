import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, errors } from '@elastic/elasticsearch';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type Reply, startTestServer, type TestServer, waitFor } from '../helpers/server.js';

/**
 * Real client libraries and the CLI against a server with access control: each sends its key the
 * way its users configure it (docs/access.md#shippers-and-clients).
 */
const ADMIN = 'admin-secret-key-00001';
const SHIPPER = 'shipper-secret-key-001';
const VIEWER = 'viewer-secret-key-0001';

let s: TestServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-access-clients-'));
  const accessFile = path.join(dir, 'access.json');
  await writeFile(
    accessFile,
    JSON.stringify({
      keys: [
        { name: 'ops', role: 'admin', key: ADMIN },
        { name: 'shipper', role: 'ingest', key: SHIPPER },
        { name: 'bob', role: 'viewer', key: VIEWER },
      ],
    }),
  );
  s = await startTestServer({ accessFile });
});
afterAll(async () => {
  await s?.close();
  await rm(dir, { recursive: true, force: true });
});

async function stored(q: string, n: number): Promise<Reply[]> {
  return waitFor(async () => {
    const res = await fetch(`${s.url}/api/v1/search?${new URLSearchParams({ q })}`, {
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    const body = (await res.json()) as Reply;
    return body.total === n ? body.hits : null;
  });
}

describe('shippers and client libraries with a key', () => {
  it('the Elasticsearch client: apiKey and username/password; without them a security_exception', async () => {
    const node = `${s.url}/es`;
    const withKey = new Client({
      node,
      auth: { apiKey: Buffer.from(`shipper:${SHIPPER}`).toString('base64') },
    });
    await withKey.bulk({ operations: [{ index: { _index: 'app' } }, { message: 'es with api key' }] });
    const withPassword = new Client({ node, auth: { username: 'shipper', password: SHIPPER } });
    await withPassword.bulk({ operations: [{ create: { _index: 'app' } }, { message: 'es with password' }] });
    expect((await stored('_index:app', 2)).map((h) => h.message).sort()).toEqual([
      'es with api key',
      'es with password',
    ]);

    const anonymous = new Client({ node });
    const err = await anonymous.bulk({ operations: [{ index: {} }, { message: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect(err.meta.statusCode).toBe(401);
    expect(err.body.error.type).toBe('security_exception');
    // The shipper's key may send but not search.
    const search = await withKey.search({ query: { match_all: {} } }).catch((e) => e);
    expect(search.meta.statusCode).toBe(403);
  });

  it('the OpenTelemetry OTLP/HTTP exporter with an Authorization header', async () => {
    const exporter = new OTLPLogExporter({
      url: `${s.url}/v1/logs`,
      headers: { Authorization: `Bearer ${SHIPPER}` },
    });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'otel-keyed' }),
      processors: [new BatchLogRecordProcessor({ exporter })],
    });
    provider.getLogger('t').emit({ body: 'otlp with a key' });
    await provider.forceFlush();
    await provider.shutdown();
    expect((await stored('resourceId:otel-keyed', 1))[0].message).toBe('otlp with a key');

    const anonymous = await fetch(`${s.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceLogs":[]}',
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 16 }); // google.rpc UNAUTHENTICATED
  });

  it('pino-loki with basic auth', async () => {
    const stream = pinoLoki({
      host: s.url,
      basicAuth: { username: 'shipper', password: SHIPPER },
      batching: { interval: 0.05 },
      labels: { app: 'loki-keyed' },
    });
    pino(stream).info('loki with basic auth');
    await new Promise((r) => setTimeout(r, 300));
    stream.end();
    expect((await stored('app:loki-keyed', 1))[0].message).toBe('loki with basic auth');
  });
});

describe('the CLI with a key', () => {
  it('searches and ingests with --token or SAWMILL_TOKEN, and explains a missing key', async () => {
    const ingest = await runCli(s.url, ['--token', SHIPPER, 'ingest', '-'], '{"message":"cli with a key"}\n');
    expect(ingest.code).toBe(0);
    await stored('"cli with a key"', 1);
    const found = await runCli(s.url, ['search', '"cli with a key"', '--output', 'ndjson'], undefined, {
      SAWMILL_TOKEN: VIEWER,
    });
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout).message).toBe('cli with a key');

    const anonymous = await runCli(s.url, ['search', 'x']);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/requires a key.*--token or SAWMILL_TOKEN.*\(401 unauthorized\)/);
    const notAllowed = await runCli(s.url, ['--token', VIEWER, 'ingest', '-'], '{"message":"no"}\n');
    expect(notAllowed.code).not.toBe(0);
    expect(notAllowed.stderr).toMatch(/needs the "ingest" permission/);
  });

  it('whoami names the key, its role and permissions, and fails without a valid one', async () => {
    const me = await runCli(s.url, ['--token', VIEWER, 'whoami']);
    expect(me.code).toBe(0);
    expect(me.stdout).toBe(`bob (role viewer) at ${s.url}\npermissions: read\n`);
    const wrong = await runCli(s.url, ['--token', 'not-a-valid-key-000', 'whoami']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/the key is not valid/);
    const none = await runCli(s.url, ['whoami']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has access control: pass a key with --token or SAWMILL_TOKEN/);
  });

  it('keygen --file adds the entry to an access file, refusing what would break it', async () => {
    const file = path.join(dir, 'grown.json');
    await writeFile(
      file,
      JSON.stringify({ roles: { pay: { permissions: ['read'], filter: 'resourceId:p-*' } }, keys: [] }),
    );
    const added = await runCli(s.url, ['keygen', '--name', 'dora', '--role', 'pay', '--file', file]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(
      /added "dora" \(role pay\) to .*grown\.json; a running server picks it up on SIGHUP/,
    );
    const key = /\n {2}(\S+)\n/.exec(added.stdout)![1]!;
    const doc = JSON.parse(await readFile(file, 'utf8'));
    expect(doc.roles.pay.filter).toBe('resourceId:p-*'); // the rest of the file is kept
    expect(doc.keys).toEqual([
      { name: 'dora', role: 'pay', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(JSON.stringify(doc)).not.toContain(key);

    const twice = await runCli(s.url, ['keygen', '--name', 'dora', '--file', file]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/the name is used twice; nothing changed/);
    const unknownRole = await runCli(s.url, ['keygen', '--name', 'eve', '--role', 'root', '--file', file]);
    expect(unknownRole.stderr).toMatch(/"role" must be one of .*; nothing changed/);
    expect(JSON.parse(await readFile(file, 'utf8')).keys).toHaveLength(1);

    const fresh = path.join(dir, 'new.json');
    expect((await runCli(s.url, ['keygen', '--name', 'fay', '--file', fresh])).code).toBe(0);
    expect(JSON.parse(await readFile(fresh, 'utf8')).keys[0]).toMatchObject({ name: 'fay', role: 'viewer' });
  });

  it('keygen makes a key whose entry (only a SHA-256) lets it in', async () => {
    const out = await runCli(s.url, ['keygen', '--name', 'carol', '--role', 'viewer']);
    expect(out.code).toBe(0);
    const [, key, entryText] = /\n {2}(\S+)\n.*\n {2}(\{.*\})\n$/.exec(out.stdout)!;
    const entry = JSON.parse(entryText!);
    expect(entry).toEqual({ name: 'carol', role: 'viewer', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(out.stdout).not.toContain(`"${key}"`); // the entry holds the hash, not the key

    const file = path.join(dir, 'carol.json');
    await writeFile(file, JSON.stringify({ keys: [entry] }));
    const other = await startTestServer({ accessFile: file });
    try {
      const ok = await fetch(`${other.url}/api/v1/search`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
      const ingest = await fetch(`${other.url}/api/v1/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: '{"message":"x"}',
      });
      expect(ingest.status).toBe(403);
    } finally {
      await other.close();
    }
  });
});
