import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { KEY_NAME, parseAccessPolicy, sha256 } from '../../auth/policy.js';
import { CliError } from '../http.js';

/**
 * `sawmill keygen --name alice --role viewer [--file access.json]`: a 256-bit key, and the entry
 * that grants it, holding only the key's SHA-256 so the access file is no secret worth stealing.
 * With `--file` the entry is added to the file (created if missing), which must still check out
 * as a whole afterwards; it is replaced in one rename, so a running server never reads half of it.
 */
export async function keygen(flags: { name: string; role: string; file?: string }): Promise<void> {
  if (!KEY_NAME.test(flags.name)) throw new CliError('--name must be 1-64 letters, digits or _ . @ -');
  const key = randomBytes(32).toString('base64url');
  const entry = { name: flags.name, role: flags.role, sha256: sha256(key).toString('hex') };
  const out = process.stdout;
  const shown = `key (give it to its user; it is not stored anywhere):\n  ${key}\n`;
  if (!flags.file) {
    out.write(`${shown}entry for the "keys" list of the access file:\n  ${JSON.stringify(entry)}\n`);
    return;
  }
  const file = flags.file;
  let doc: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`${file} is not JSON (${(err as Error).message}); nothing changed`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
      throw new CliError(`${file} is not an access file (a JSON object); nothing changed`);
  }
  const keys = Array.isArray(doc.keys) ? doc.keys : [];
  const next = { ...doc, keys: [...keys, entry] };
  try {
    parseAccessPolicy(next, file); // a duplicate name, an unknown role: refused before writing
  } catch (err) {
    throw new CliError(`${(err as Error).message}; nothing changed`);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  out.write(
    `${shown}added "${flags.name}" (role ${flags.role}) to ${file}; a running server picks it up on SIGHUP (kill -HUP <pid>)\n`,
  );
}
