import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverloadedError } from '../../src/buffer/buffer.js';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server/start.js';
import { get, type Reply, searchWhenCount, startTestServer, type TestServer } from '../helpers/server.js';
import { replaySockets, sendTcp, sendUdp } from './syslog-gelf-sockets.js';

// BSD timestamps are read in the server's local zone; the server runs in this process.
process.env.TZ = 'UTC';
const run = promisify(execFile);

/** A fresh server per group, so each capture's records are counted on their own. */
function serverFor(): { srv: () => TestServer; ports: () => { tcpPort: number; udpPort: number } } {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.close();
  });
  return { srv: () => srv, ports: () => srv.server.syslog! };
}

async function hits(srv: TestServer, q: string, n: number): Promise<Reply[]> {
  return (await searchWhenCount(srv.url, { q, limit: '100' }, n)).body.hits;
}

/** BSD timestamps have no year: the one the server chose, or the sent time when it had to use receipt time. */
const bsdTime = (r: Reply): string => r.originalTimestamp ?? r.timestamp;

describe('wire sample: syslog-ng syslog() (octet-counted TCP) and network() (TCP and UDP)', () => {
  const { srv, ports } = serverFor();
  it('stores all eight messages with header fields, SD and level', async () => {
    await replaySockets('syslog-ng-syslog-network', ports());
    const all = await hits(srv(), 'appName:myapp', 8);
    for (const r of all) {
      expect(r).toMatchObject({
        level: 'error',
        facility: 'local0',
        severity: 'err',
        hostname: 'vm',
        resourceId: 'vm',
      });
      expect(r.parseError).toBeUndefined();
    }
    const rfc5424 = await hits(srv(), 'meta.sequenceId:1', 2); // one over UDP, one over TCP
    for (const r of rfc5424) {
      expect(r).toMatchObject({ message: 'Failed to connect to DB', timestamp: '2026-11-22T09:06:55.000Z' });
    }
    const bsd = await hits(srv(), '"second line" AND -meta.sequenceId:*', 2);
    for (const r of bsd) expect(bsdTime(r)).toMatch(/^\d{4}-11-22T09:06:55\.000(000)?Z$/);
  });
});

describe('wire sample: rsyslog omfwd (RFC 5424 over UDP/TCP, RFC 3164 over UDP, hybrid over TCP)', () => {
  const { srv, ports } = serverFor();
  it('parses every format, microseconds kept', async () => {
    await replaySockets('rsyslog-omfwd-syslog', ports());
    await hits(srv(), 'appName:myapp AND hostname:vm AND level:error', 8);
    const precise = await hits(
      srv(),
      '"Failed to connect to DB" AND timestamp:"2026-11-22T09:04:53.961202Z"',
      3,
    );
    expect(precise.map((r) => r.timestamp)).toEqual(Array(3).fill('2026-11-22T09:04:53.961202Z'));
    const second = await hits(srv(), '"second msg"', 4);
    for (const r of second)
      expect(r).toMatchObject({ message: 'second msg', facility: 'local0', resourceId: 'vm' });
  });
});

describe('wire sample: util-linux logger', () => {
  const { srv, ports } = serverFor();
  it('SD params fill resourceId/traceId, procid and msgid kept, framings and PRIs', async () => {
    await replaySockets('logger-util-linux-syslog', ports());
    await hits(srv(), 'appName:myapp', 7);
    const [ref] = await hits(srv(), 'msgId:DBFAIL', 1);
    expect(ref).toMatchObject({
      message: 'Failed to connect to DB (rfc5424, tcp, default framing)',
      timestamp: '2026-11-22T09:05:04.031034Z',
      level: 'error',
      resourceId: 'server-1234',
      traceId: 'abc-xyz-123',
      hostname: 'vm',
      procId: '4242',
      timeQuality: { tzKnown: '1', isSynced: '0' },
      'meta@32473': { resourceId: 'server-1234', traceId: 'abc-xyz-123' },
    });
    expect((await hits(srv(), '"octet-count"', 1))[0]).toMatchObject({ level: 'warn', severity: 'warning' });
    expect((await hits(srv(), '"rfc3164 over tcp"', 1))[0]).toMatchObject({
      facility: 'user',
      level: 'info',
    });
    expect((await hits(srv(), '"rfc3164 over udp"', 1))[0]).toMatchObject({
      severity: 'notice',
      level: 'info',
    });
    expect((await hits(srv(), 'multi', 2)).map((r) => r.message).sort()).toEqual(['multi 1', 'multi 2']);
  });
});

describe('real client: util-linux logger', () => {
  const { srv, ports } = serverFor();
  const logger = (...args: string[]) => run('logger', ['--server', '127.0.0.1', '-t', 'loggertest', ...args]);

  it.each([
    ['tcp', 'rfc5424', []],
    ['tcp', 'rfc5424', ['--octet-count']],
    ['tcp', 'rfc3164', []],
    ['udp', 'rfc5424', []],
    ['udp', 'rfc3164', []],
  ] as const)('logger --%s --%s %j', async (transport, format, extra) => {
    const tag = `${transport}-${format}-${extra.length}`;
    const port = transport === 'tcp' ? ports().tcpPort : ports().udpPort;
    await logger(
      `--${transport}`,
      `--${format}`,
      '--port',
      String(port),
      '-p',
      'local3.warning',
      ...extra,
      ...(format === 'rfc5424'
        ? [
            '--msgid',
            'M1',
            '--sd-id',
            'app@32473',
            '--sd-param',
            `case="${tag}"`,
            '--sd-param',
            'resourceId="server-9"',
          ]
        : []),
      `hello from logger ${tag}`,
    );
    const [r] = await hits(srv(), `"hello from logger ${tag}"`, 1);
    expect(r).toMatchObject({
      message: `hello from logger ${tag}`,
      level: 'warn',
      facility: 'local3',
      severity: 'warning',
      appName: 'loggertest',
    });
    expect(r.parseError).toBeUndefined();
    expect(Date.now() - Date.parse(r.timestamp)).toBeLessThan(60_000);
    if (format === 'rfc5424') {
      expect(r).toMatchObject({ msgId: 'M1', resourceId: 'server-9', 'app@32473': { case: tag } });
    } else {
      expect(r.resourceId).toBe(r.hostname);
    }
  });
});

describe('bad input, limits and batching', () => {
  const { srv, ports } = serverFor();

  it('garbage, a bad octet count and invalid UTF-8 are stored or reported; other connections carry on', async () => {
    const good = net.connect({ port: ports().tcpPort, host: '127.0.0.1' });
    await new Promise((r) => good.once('connect', r));
    await sendTcp(ports().tcpPort, ['12 <13>a: short', 'x'.repeat(10), ' then <13>b: rest\n']);
    await sendTcp(ports().tcpPort, [
      Buffer.from([0xff, 0xfe, 0x00, 0x0a]),
      Buffer.from('<13>bad: \xff\n', 'latin1'),
    ]);
    await sendUdp(ports().udpPort, ['', '\n', 'no pri at all']);
    good.end('<13>good: still connected\n');
    expect((await hits(srv(), '"still connected"', 1))[0]).toMatchObject({ appName: 'good' });
    expect((await hits(srv(), '"no pri at all"', 1))[0].parseError).toMatch(/no <PRI>/);
    expect((await hits(srv(), 'appName:bad', 1))[0].message).toBe('\uFFFD');
    const metrics = (await get(srv().url, '/metrics')).body as string;
    expect(metrics).toMatch(
      /sawmill_socket_errors_total\{protocol="syslog",transport="tcp",reason="bad_octet_count"\} [1-9]/,
    );
    expect(metrics).toMatch(/sawmill_ingest_records_total\{result="accepted",protocol="syslog"\} [1-9]/);
  });

  it('20,000 messages on one connection all arrive, in batches', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `<14>1 - h bulk - - - bulk message ${i}\n`).join(
      '',
    );
    await sendTcp(ports().tcpPort, lines);
    await searchWhenCount(srv().url, { q: 'appName:bulk' }, 20_000, 30_000);
    const [last] = await hits(srv(), 'appName:bulk AND "bulk message 19999"', 1);
    expect(last.resourceId).toBe('h');
  });

  it('a timestamp outside the accepted range is stored with the time of receipt, the sent one kept', async () => {
    await sendUdp(ports().udpPort, ['<14>1 2099-01-01T00:00:00Z h future - - - from the future']);
    const [r] = await hits(srv(), '"from the future"', 1);
    expect(r.originalTimestamp).toBe('2099-01-01T00:00:00Z');
    expect(Date.now() - Date.parse(r.timestamp)).toBeLessThan(60_000);
  });
});

describe('overload, connection limit, shutdown', () => {
  it('TCP under overload pauses and retries (nothing lost); UDP drops and counts', async () => {
    const srv = await startTestServer();
    try {
      const pipeline = srv.server.ctx.pipeline;
      const real = pipeline.ingest.bind(pipeline);
      let refusals = 0;
      pipeline.ingest = async (candidates, protocol) => {
        if (refusals < 3) {
          refusals++;
          throw new OverloadedError('too many bytes waiting for the disk', 429, 0);
        }
        return real(candidates, protocol);
      };
      const { tcpPort, udpPort } = srv.server.syslog!;
      await sendUdp(udpPort, ['<14>1 - h lost - - - dropped while overloaded']);
      await new Promise((r) => setTimeout(r, 100));
      await sendTcp(tcpPort, '<14>1 - h kept - - - kept through overload\n');
      expect((await hits(srv, 'appName:kept', 1))[0].message).toBe('kept through overload');
      const metrics = (await get(srv.url, '/metrics')).body as string;
      expect(metrics).toMatch(
        /sawmill_socket_dropped_total\{protocol="syslog",transport="udp",reason="overloaded"\} 1/,
      );
      expect(metrics).toMatch(
        /sawmill_socket_errors_total\{protocol="syslog",transport="tcp",reason="overloaded"\} [12]/,
      );
    } finally {
      await srv.close();
    }
  });

  it('connections over the limit are refused and counted; close() does not wait for idle clients', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sawmill-syslog-'));
    const server = await startServer(
      loadConfig(
        { port: 0, host: '127.0.0.1', data: dataDir, logLevel: 'silent' },
        { SAWMILL_SOCKET_MAX_CONNECTIONS: '2' },
      ),
    );
    try {
      const open = () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect({ port: server.syslog!.tcpPort, host: '127.0.0.1' }, () => resolve(s));
          s.on('error', () => undefined);
        });
      const idle = [await open(), await open()];
      const third = await open();
      await new Promise((r) => third.once('close', r)); // the server closes it at once
      const metrics = (await get(server.url, '/metrics')).body as string;
      expect(metrics).toMatch(/reason="too_many_connections"\} 1/);
      expect(metrics).toMatch(/sawmill_socket_connections\{protocol="syslog"\} 2/);
      idle[0]!.write('<13>1 - h half - - - sent before shutdown\n');
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeLessThan(5000);
      // The server hung up on both idle clients.
      await Promise.all(idle.map((s) => (s.destroyed ? null : new Promise((r) => s.once('close', r)))));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('binding the ports', () => {
  async function withBusyPort<T>(fn: (port: number) => Promise<T>): Promise<T> {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      return await fn((blocker.address() as net.AddressInfo).port);
    } finally {
      blocker.close();
    }
  }
  const configWith = (dataDir: string, syslog: { port: number; required: boolean }) => ({
    ...loadConfig({ port: 0, host: '127.0.0.1', data: dataDir, logLevel: 'silent' }, {}),
    syslog,
  });

  it('a busy default port is skipped (HTTP and GELF still start); a busy explicit port fails the start cleanly', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sawmill-syslog-'));
    try {
      await withBusyPort(async (port) => {
        const server = await startServer(configWith(dataDir, { port, required: false }));
        expect(server.syslog).toBeUndefined();
        expect(server.gelf?.tcpPort).toBeGreaterThan(0);
        expect((await get(server.url, '/readyz')).status).toBe(200);
        await server.close();
        await expect(startServer(configWith(dataDir, { port, required: true }))).rejects.toThrow(
          new RegExp(`cannot listen for syslog on port ${port}: .*EADDRINUSE`),
        );
        // Everything opened before the failure was closed: the data directory opens again.
        const again = await startServer(configWith(dataDir, { port: 0, required: true }));
        expect(again.syslog?.tcpPort).toBeGreaterThan(0);
        await again.close();
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  it('flag beats env; 0/off turns a listener off; HTTP port 0 makes the defaults ephemeral', () => {
    expect(loadConfig({}, {}).syslog).toEqual({ port: 5140, required: false });
    expect(loadConfig({}, {}).gelf).toEqual({ port: 12201, required: false });
    expect(loadConfig({ port: 0 }, {}).syslog).toEqual({ port: 0, required: false });
    expect(loadConfig({ syslogPort: '1514' }, { SAWMILL_SYSLOG_PORT: '2514' }).syslog).toEqual({
      port: 1514,
      required: true,
    });
    expect(loadConfig({}, { SAWMILL_SYSLOG_PORT: 'off', SAWMILL_GELF_PORT: '0' })).toMatchObject({
      syslog: { port: null },
      gelf: { port: null },
    });
    expect(() => loadConfig({ syslogPort: '70000' }, {})).toThrow(/invalid syslog port/);
    expect(() => loadConfig({}, { SAWMILL_SOCKET_MAX_CONNECTIONS: '-1' })).toThrow(
      /SAWMILL_SOCKET_MAX_CONNECTIONS/,
    );
  });
});
