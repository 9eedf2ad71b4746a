import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnServer, waitFor } from '../helpers/server.js';

/** `sawmill serve` re-reads its access file on SIGHUP: keys change without a restart. */
const OLD = 'old-secret-key-000001';
const NEW = 'new-secret-key-000001';

let dir: string;
let file: string;
let child: ChildProcess;
let url: string;

const status = async (key: string, cookie?: string) =>
  (
    await fetch(`${url}/api/v1/search`, {
      headers: cookie ? { cookie } : { authorization: `Bearer ${key}` },
    })
  ).status;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-access-reload-'));
  file = path.join(dir, 'access.json');
  await writeFile(file, JSON.stringify({ keys: [{ name: 'old', role: 'viewer', key: OLD }] }));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = await spawnServer(path.join(dir, 'data'), port, ['--access-file', file]);
}, 60_000);
afterAll(async () => {
  child?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('reloading the access file', () => {
  it('keeps the old keys when the new file is broken, and swaps keys (ending sessions) when it is valid', async () => {
    const signIn = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: OLD }),
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect(await status(OLD)).toBe(200);
    expect(await status('', cookie)).toBe(200);

    await writeFile(file, '{"keys": [{"name": "new", "role": "viewer"');
    child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBeNull();
    expect(await status(OLD)).toBe(200);

    await writeFile(file, JSON.stringify({ keys: [{ name: 'new', role: 'viewer', key: NEW }] }));
    child.kill('SIGHUP');
    await waitFor(async () => (await status(NEW)) === 200);
    expect(await status(OLD)).toBe(401);
    expect(await status('', cookie)).toBe(401);
  });
});
