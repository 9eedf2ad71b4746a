import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { QueryNode } from '../query/ast.js';
import { parseQuery, QuerySyntaxError } from '../query/parse.js';

/**
 * Role-based access (docs/access.md). Off unless an access file is configured: then every request
 * but the UI's files, the health probes and the sign-in itself must carry a key, and the key's
 * role decides what it may do. A role may also carry a filter, a query that is ANDed into every
 * read of that role (search, histogram, fields, context, tail, export, Elasticsearch `_search`),
 * so a team sees only its own services' logs.
 */
export const PERMISSIONS = ['ingest', 'read', 'save', 'metrics', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Roles every access file has; a file may add its own but not redefine these. */
export const BUILT_IN_ROLES: Record<string, readonly Permission[]> = {
  admin: PERMISSIONS,
  editor: ['read', 'save'],
  viewer: ['read'],
  ingest: ['ingest'],
};

export interface Role {
  name: string;
  permissions: ReadonlySet<Permission>;
  /** ANDed into every read of this role; absent = every record. */
  filter?: { text: string; query: QueryNode };
}

export interface AccessKey {
  name: string;
  role: Role;
  /** SHA-256 of the secret: the file may hold only this, and lookups go by it. */
  digest: Buffer;
}

export interface AccessPolicy {
  byDigest: ReadonlyMap<string, AccessKey>;
  byName: ReadonlyMap<string, AccessKey>;
}

/** A key name is also the user name of HTTP basic auth, so no `:`; short and printable. */
export const KEY_NAME_CHARS = '[A-Za-z0-9_.@-]{1,64}';
export const KEY_NAME = new RegExp(`^${KEY_NAME_CHARS}$`);
/** Shorter secrets could be guessed; `sawmill keygen` makes 256-bit ones. */
const MIN_SECRET_LENGTH = 16;

export class AccessFileError extends Error {}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The policy in force and the file it came from. `reload()` (on SIGHUP) swaps in the file's new
 * contents only when they check out, so a typo while editing keeps the old keys working.
 */
export class AccessControl {
  private constructor(
    readonly file: string,
    public policy: AccessPolicy,
  ) {}

  static load(file: string): AccessControl {
    return new AccessControl(file, loadAccessPolicy(file));
  }

  reload(): AccessPolicy {
    this.policy = loadAccessPolicy(this.file);
    return this.policy;
  }
}

/** Read and check the access file; every mistake is reported with the file and the entry. */
export function loadAccessPolicy(file: string): AccessPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AccessFileError(`cannot read the access file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AccessFileError(`the access file ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseAccessPolicy(json, file);
}

export function parseAccessPolicy(json: unknown, source: string): AccessPolicy {
  const fail = (what: string): never => {
    throw new AccessFileError(`access file ${source}: ${what}`);
  };
  const obj = (v: unknown, what: string): Record<string, unknown> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${what} must be a JSON object`);
    return v as Record<string, unknown>;
  };
  const only = (o: Record<string, unknown>, allowed: string[], what: string) => {
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) fail(`${what} has an unknown field "${k}" (allowed: ${allowed.join(', ')})`);
  };

  const top = obj(json, 'the file');
  only(top, ['roles', 'keys'], 'the file');
  const roles = new Map<string, Role>();
  for (const [name, perms] of Object.entries(BUILT_IN_ROLES)) {
    roles.set(name, { name, permissions: new Set(perms) });
  }
  for (const [name, value] of Object.entries(obj(top.roles ?? {}, '"roles"'))) {
    const what = `role "${name}"`;
    if (!KEY_NAME.test(name)) fail(`${what}: a role name is 1-64 letters, digits or _ . @ -`);
    if (BUILT_IN_ROLES[name])
      fail(`${what} is built in (${Object.keys(BUILT_IN_ROLES).join(', ')}); pick another name`);
    const r = obj(value, what);
    only(r, ['permissions', 'filter'], what);
    if (!Array.isArray(r.permissions) || r.permissions.length === 0)
      fail(`${what}: "permissions" must be a non-empty list of ${PERMISSIONS.join(', ')}`);
    for (const p of r.permissions as unknown[]) {
      if (!(PERMISSIONS as readonly unknown[]).includes(p))
        fail(`${what}: unknown permission ${JSON.stringify(p)} (${PERMISSIONS.join(', ')})`);
    }
    let filter: Role['filter'];
    if (r.filter !== undefined) {
      if (typeof r.filter !== 'string' || r.filter.trim() === '')
        fail(`${what}: "filter" must be a query (text), e.g. "resourceId:payments-*"`);
      const text = r.filter as string;
      try {
        filter = { text, query: parseQuery(text) };
      } catch (err) {
        if (!(err instanceof QuerySyntaxError)) throw err;
        fail(`${what}: "filter" is not a valid query: ${err.message}`);
      }
    }
    roles.set(name, {
      name,
      permissions: new Set(r.permissions as Permission[]),
      ...(filter ? { filter } : {}),
    });
  }

  if (!Array.isArray(top.keys) || top.keys.length === 0) fail('"keys" must be a non-empty list of keys');
  const byDigest = new Map<string, AccessKey>();
  const byName = new Map<string, AccessKey>();
  for (const [i, value] of (top.keys as unknown[]).entries()) {
    const k = obj(value, `key ${i}`);
    const what = `key ${i}${typeof k.name === 'string' ? ` ("${k.name}")` : ''}`;
    only(k, ['name', 'role', 'key', 'sha256'], what);
    if (typeof k.name !== 'string' || !KEY_NAME.test(k.name))
      fail(`${what}: "name" must be 1-64 letters, digits or _ . @ - (it is the user name for basic auth)`);
    const name = k.name as string;
    if (byName.has(name)) fail(`${what}: the name is used twice`);
    if (typeof k.role !== 'string' || !roles.has(k.role))
      fail(`${what}: "role" must be one of ${[...roles.keys()].join(', ')}`);
    let digest: Buffer;
    if (typeof k.key === 'string' && k.sha256 === undefined) {
      if (k.key.length < MIN_SECRET_LENGTH)
        fail(`${what}: "key" is shorter than ${MIN_SECRET_LENGTH} characters (\`sawmill keygen\` makes one)`);
      digest = sha256(k.key);
    } else if (typeof k.sha256 === 'string' && k.key === undefined) {
      if (!/^[0-9a-f]{64}$/i.test(k.sha256)) fail(`${what}: "sha256" must be 64 hex digits`);
      digest = Buffer.from(k.sha256 as string, 'hex');
    } else {
      fail(`${what}: give exactly one of "key" (the secret) or "sha256" (its SHA-256, hex)`);
      continue;
    }
    const hex = digest.toString('hex');
    if (byDigest.has(hex)) fail(`${what}: the same secret as key "${byDigest.get(hex)!.name}"`);
    const key: AccessKey = { name, role: roles.get(k.role as string)!, digest };
    byDigest.set(hex, key);
    byName.set(name, key);
  }
  return { byDigest, byName };
}

/** The key whose secret this is, optionally also checking the name it was sent with. */
export function keyOf(policy: AccessPolicy, secret: string, name?: string): AccessKey | null {
  const key = policy.byDigest.get(sha256(secret).toString('hex'));
  if (!key || (name !== undefined && name !== key.name)) return null;
  return key;
}
