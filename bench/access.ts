import { randomBytes } from 'node:crypto';
import { authenticate, presentedCredentials } from '../src/auth/credentials.js';
import { parseAccessPolicy } from '../src/auth/policy.js';
import { numberFlag } from './common.js';

/**
 * What checking a key costs each request: the Authorization header parsed, the key hashed
 * (SHA-256) and looked up among `--keys` keys, as Bearer and as Basic. The end-to-end effect on
 * ingest is a row of the protocol table (`npm run bench -- --protocols`); this isolates the check,
 * which that table's run-to-run noise hides.
 *
 * `tsx bench/access.ts [--keys 100 --requests 1000000 --rounds 3]`
 */
const keyCount = numberFlag('keys', 100);
const requests = numberFlag('requests', 1_000_000);
const rounds = numberFlag('rounds', 3);
const keys = Array.from({ length: keyCount }, (_, i) => ({
  name: `key-${i}`,
  role: 'admin',
  key: randomBytes(32).toString('base64url'),
}));
const policy = parseAccessPolicy({ keys }, 'bench');
const probe = keys[Math.floor(keyCount / 2)]!;
const headers = {
  Bearer: `Bearer ${probe.key}`,
  Basic: `Basic ${Buffer.from(`${probe.name}:${probe.key}`).toString('base64')}`,
};

const lines = [
  `## Access control: the key check per request (${keyCount} keys, ${requests.toLocaleString('en')} requests, ${rounds} rounds)`,
  '',
  '| header | µs per request (per round) | µs per record at 1,000 records/request |',
  '|---|---|---|',
];
for (const [scheme, header] of Object.entries(headers)) {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let valid = 0;
    const started = performance.now();
    for (let i = 0; i < requests; i++) if (authenticate(policy, presentedCredentials(header))) valid++;
    times.push(((performance.now() - started) * 1000) / requests);
    if (valid !== requests) throw new Error(`${scheme}: ${requests - valid} checks failed`);
  }
  const best = Math.min(...times);
  lines.push(
    `| ${scheme} | ${best.toFixed(2)} (${times.map((t) => t.toFixed(2)).join(', ')}) | ${(best / 1000).toFixed(4)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
