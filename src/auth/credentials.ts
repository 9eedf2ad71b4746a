import { createHmac, timingSafeEqual } from 'node:crypto';
import { type AccessKey, type AccessPolicy, KEY_NAME_CHARS, keyOf } from './policy.js';

/**
 * How a request proves who it is. Programs send the key in `Authorization`, in whichever form
 * their client library speaks: `Bearer <key>` (the CLI, curl, OTLP exporters, Loki clients'
 * bearer_token), `Basic <base64 name:key>` (Loki clients' basic_auth, Elasticsearch clients'
 * username/password, syslog-ng's http() user/password) or `ApiKey <base64 name:key>` / `ApiKey
 * <key>` (Elasticsearch clients' apiKey). Browsers sign in once and then send a session cookie.
 */
export type Presented =
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'key'; secret: string; name?: string };

export function presentedCredentials(header: string | undefined): Presented {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!m) return { kind: 'malformed', reason: 'the Authorization header is not "<scheme> <credentials>"' };
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  if (scheme === 'bearer') return { kind: 'key', secret: value };
  if (scheme === 'basic' || scheme === 'apikey') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { kind: 'key', name: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    if (scheme === 'apikey') return { kind: 'key', secret: value };
    return { kind: 'malformed', reason: 'Basic credentials are base64 of "<key name>:<key>"' };
  }
  return {
    kind: 'malformed',
    reason: `unsupported Authorization scheme "${m[1]}" (use Bearer, Basic or ApiKey)`,
  };
}

export function authenticate(policy: AccessPolicy, presented: Presented): AccessKey | null {
  return presented.kind === 'key' ? keyOf(policy, presented.secret, presented.name) : null;
}

/**
 * Browser sessions: `<name>.<expiry s>.<mac>`, the MAC keyed by the key's own digest. Nothing is
 * kept on the server, so every node of a cluster with the same access file accepts the cookie,
 * and changing or removing a key ends its sessions at once.
 */
export const SESSION_COOKIE = 'sawmill_session';
export const SESSION_SECONDS = 12 * 3600;

function mac(key: AccessKey, payload: string): Buffer {
  return createHmac('sha256', key.digest).update(`sawmill-session:${payload}`).digest();
}

export function issueSession(key: AccessKey, nowMs = Date.now()): string {
  const payload = `${key.name}.${Math.floor(nowMs / 1000) + SESSION_SECONDS}`;
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

const SESSION_TOKEN = new RegExp(`^(${KEY_NAME_CHARS})\\.(\\d{1,12})\\.([A-Za-z0-9_-]{43})$`);

export function verifySession(policy: AccessPolicy, token: string, nowMs = Date.now()): AccessKey | null {
  const m = SESSION_TOKEN.exec(token);
  if (!m) return null;
  const key = policy.byName.get(m[1]!);
  if (!key || Number(m[2]) * 1000 <= nowMs) return null;
  const expected = mac(key, `${m[1]}.${m[2]}`);
  const given = Buffer.from(m[3]!, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? key : null;
}
