import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterNode,
  type ClusterServices,
  createClusterServices,
  spawnNode,
} from '../helpers/cluster.js';
import { freePort, ndjson, type Reply, waitFor } from '../helpers/server.js';

/**
 * Access control in cluster mode: every node reads the same access file and checks keys on its
 * own. A session signed in on one query node holds on another, and a role's filter applies on
 * every query node (docs/access.md#cluster-mode).
 */
const SHIPPER = 'shipper-secret-key-001';
const PAYMENTS = 'payments-secret-key-01';
const VIEWER = 'viewer-secret-key-0001';

let s: ClusterServices | null = null;
let dir: string;
const nodes: ClusterNode[] = [];
let ingest: ClusterNode;
let queryA: ClusterNode;
let queryB: ClusterNode;

beforeAll(async () => {
  s = await createClusterServices('the cluster access-control tests');
  if (!s) return;
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-cluster-access-'));
  const accessFile = path.join(dir, 'access.json');
  await writeFile(
    accessFile,
    JSON.stringify({
      roles: { payments: { permissions: ['read'], filter: 'resourceId:payments-*' } },
      keys: [
        { name: 'shipper', role: 'ingest', key: SHIPPER },
        { name: 'pay', role: 'payments', key: PAYMENTS },
        { name: 'bob', role: 'viewer', key: VIEWER },
      ],
    }),
  );
  const env = { SAWMILL_ACCESS_FILE: accessFile };
  const started = await Promise.all(
    ['ingest', 'worker', 'query', 'query'].map(async (role) => spawnNode(s!, role, await freePort(), env)),
  );
  nodes.push(...started);
  [ingest, , queryA, queryB] = started as [ClusterNode, ClusterNode, ClusterNode, ClusterNode];
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => (n.child.exitCode === null ? n.kill9() : undefined)));
  await s?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('access control across cluster nodes', () => {
  it('ingest nodes need a key; a session from one query node holds on another, with its filter', async (t) => {
    if (!s) return t.skip();
    const records = [
      { message: 'cluster payment', resourceId: 'payments-1' },
      { message: 'cluster page', resourceId: 'web-1' },
    ];
    const post = (headers: Record<string, string>) =>
      fetch(`${ingest.url}/api/v1/logs`, { method: 'POST', headers, body: ndjson(records) });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: `Bearer ${SHIPPER}` })).status).toBe(200);

    const signIn = await fetch(`${queryA.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: PAYMENTS }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;

    // Both records stored (a viewer sees them), then the payments session sees only its own.
    await waitFor(async () => {
      const res = await fetch(`${queryA.url}/api/v1/search?q=cluster`, {
        headers: { authorization: `Bearer ${VIEWER}` },
      });
      return ((await res.json()) as Reply).total === 2;
    }, 20_000);
    const res = await fetch(`${queryB.url}/api/v1/search?q=cluster`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Reply;
    expect(body.total).toBe(1);
    expect(body.hits[0]).toMatchObject({ message: 'cluster payment', resourceId: 'payments-1' });
    expect((await fetch(`${queryB.url}/api/v1/search?q=cluster`)).status).toBe(401);
  });
});
