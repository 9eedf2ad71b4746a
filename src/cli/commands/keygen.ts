import { randomBytes } from 'node:crypto';
import { KEY_NAME, sha256 } from '../../auth/policy.js';
import { CliError } from '../http.js';

/**
 * `sawmill keygen --name alice --role viewer`: a 256-bit key, and the entry that grants it,
 * holding only the key's SHA-256 so the access file is no secret worth stealing.
 */
export function keygen(flags: { name: string; role: string }): void {
  if (!KEY_NAME.test(flags.name)) throw new CliError('--name must be 1-64 letters, digits or _ . @ -');
  const key = randomBytes(32).toString('base64url');
  const entry = { name: flags.name, role: flags.role, sha256: sha256(key).toString('hex') };
  process.stdout.write(
    `key (give it to its user; it is not stored anywhere):\n  ${key}\n` +
      `entry for the "keys" list of the access file:\n  ${JSON.stringify(entry)}\n`,
  );
}
