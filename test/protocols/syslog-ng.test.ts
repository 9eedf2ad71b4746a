import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, searchWhenCount, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * syslog-ng from Debian (syslog-ng-core, -scl, -mod-http; installed by .ci/run) reading a file and
 * sending it to Sawmill with its syslog() (TCP, octet-counted), network() (UDP), graylog2() (GELF
 * over TCP) and elasticsearch-http() destinations.
 */
const SYSLOG_NG = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v syslog-ng || ls /usr/sbin/syslog-ng'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return '';
  }
})();
const CI = process.env.CI === 'true';

if (!SYSLOG_NG) {
  if (CI) {
    it('syslog-ng is installed (.ci/run installs syslog-ng-core)', () => {
      throw new Error('syslog-ng not found: CI must run the real-client tests');
    });
  } else {
    console.warn(
      '\n*** SKIPPING syslog-ng tests: syslog-ng is not installed (apt-get install syslog-ng-core syslog-ng-scl syslog-ng-mod-http) ***\n',
    );
  }
}

describe.skipIf(!SYSLOG_NG)('real client: syslog-ng', () => {
  let srv: TestServer;
  let dir: string;
  let child: ChildProcess;
  let stderr = '';
  const nonce = Date.now().toString(36);

  beforeAll(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'sawmill-syslog-ng-'));
    const { syslog, gelf } = srv.server;
    const lines = (kind: string) =>
      `Failed to connect to DB via ${kind} ${nonce}\nsecond line via ${kind} ${nonce}\n`;
    for (const kind of ['tcp', 'udp', 'gelf', 'es'])
      await writeFile(path.join(dir, `${kind}.log`), lines(kind));
    const source = (kind: string) =>
      `source s_${kind} { file("${dir}/${kind}.log" flags(no-parse) program-override("sng${kind}") default-priority(err) default-facility(local0) follow-freq(0.1)); };`;
    await writeFile(
      path.join(dir, 'syslog-ng.conf'),
      `@version: 3.38
@include "scl.conf"
options { keep-hostname(yes); chain-hostnames(no); stats-freq(0); time-reopen(1); };
${['tcp', 'udp', 'gelf', 'es'].map(source).join('\n')}
destination d_tcp { syslog("127.0.0.1" transport("tcp") port(${syslog!.tcpPort})); };
destination d_udp { network("127.0.0.1" transport("udp") port(${syslog!.udpPort})); };
destination d_gelf { graylog2(host("127.0.0.1") port(${gelf!.tcpPort}) transport(tcp)); };
destination d_es {
  elasticsearch-http(url("${srv.url}/es/_bulk") index("syslog-ng") type("") batch-lines(10) batch-timeout(100)
    template("$(format-json --scope rfc5424 --exclude DATE --key ISODATE @timestamp=\${ISODATE} message=\${MESSAGE} level=\${LEVEL})"));
};
log { source(s_tcp); destination(d_tcp); };
log { source(s_udp); destination(d_udp); };
log { source(s_gelf); destination(d_gelf); };
log { source(s_es); destination(d_es); };
`,
    );
    child = spawn(
      SYSLOG_NG,
      [
        '-F',
        '--no-caps',
        '--stderr',
        '-f',
        `${dir}/syslog-ng.conf`,
        '-R',
        `${dir}/persist`,
        '-p',
        `${dir}/pid`,
        '-c',
        `${dir}/ctl`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function arrived(q: string, n: number): Promise<Reply[]> {
    try {
      return (await searchWhenCount(srv.url, { q }, n, 20_000)).body.hits;
    } catch (err) {
      throw new Error(`${(err as Error).message}; syslog-ng exit ${child.exitCode}, stderr:\n${stderr}`);
    }
  }

  it('syslog() over TCP (RFC 5424, octet-counted)', async () => {
    const hits = await arrived(`appName:sngtcp AND ${nonce}`, 2);
    const [first] = hits.filter((h) => h.message.startsWith('Failed'));
    expect(first).toMatchObject({
      message: `Failed to connect to DB via tcp ${nonce}`,
      level: 'error',
      facility: 'local0',
    });
    expect(first.hostname).toBeTruthy();
    expect(first.resourceId).toBe(first.hostname);
    expect(first.procId).toBeUndefined();
    expect(first.parseError).toBeUndefined();
    expect(Date.now() - Date.parse(first.timestamp)).toBeLessThan(120_000);
  });

  it('network() over UDP (RFC 3164)', async () => {
    const hits = await arrived(`appName:sngudp AND ${nonce}`, 2);
    for (const h of hits) expect(h).toMatchObject({ level: 'error', severity: 'err', facility: 'local0' });
    expect(hits.map((h) => h.message).sort()).toEqual([
      `Failed to connect to DB via udp ${nonce}`,
      `second line via udp ${nonce}`,
    ]);
  });

  it('graylog2() (GELF over TCP)', async () => {
    const hits = await arrived(`program:snggelf AND ${nonce}`, 2);
    for (const h of hits) expect(h).toMatchObject({ level: 'error', facility: 'local0', resourceId: h.host });
  });

  it('elasticsearch-http() to /es/_bulk', async () => {
    const hits = await arrived(`PROGRAM:snges AND ${nonce}`, 2);
    expect(hits.map((h) => h.message).sort()).toEqual([
      `Failed to connect to DB via es ${nonce}`,
      `second line via es ${nonce}`,
    ]);
    for (const h of hits) expect(h).toMatchObject({ level: 'error', _index: 'syslog-ng' });
  });
});
