import { describe, expect, it } from 'vitest';
import { issueSession, presentedCredentials, SESSION_SECONDS, verifySession } from './credentials.js';
import { parseAccessPolicy } from './policy.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const policy = () =>
  parseAccessPolicy(
    {
      keys: [
        { name: 'alice', role: 'admin', key: 'alice-secret-key-0001' },
        { name: 'ops.bot', role: 'viewer', key: 'bot-secret-key-000001' },
      ],
    },
    'test',
  );

describe('credentials in the Authorization header', () => {
  it('reads Bearer, Basic and both ApiKey forms', () => {
    expect(presentedCredentials('Bearer abc')).toEqual({ kind: 'key', secret: 'abc' });
    expect(presentedCredentials(`Basic ${b64('alice:pw:with:colons')}`)).toEqual({
      kind: 'key',
      name: 'alice',
      secret: 'pw:with:colons',
    });
    expect(presentedCredentials(`ApiKey ${b64('alice:k')}`)).toEqual({
      kind: 'key',
      name: 'alice',
      secret: 'k',
    });
    expect(presentedCredentials('apikey raw-key-value')).toEqual({ kind: 'key', secret: 'raw-key-value' });
    expect(presentedCredentials(undefined)).toEqual({ kind: 'none' });
  });

  it('explains what is wrong with a malformed header', () => {
    expect(presentedCredentials('Bearer')).toMatchObject({
      kind: 'malformed',
      reason: /"<scheme> <credentials>"/,
    });
    expect(presentedCredentials(`Basic ${b64('no-colon')}`)).toMatchObject({
      reason: /base64 of "<key name>:<key>"/,
    });
    expect(presentedCredentials('Digest x')).toMatchObject({
      reason: /unsupported Authorization scheme "Digest"/,
    });
  });
});

describe('browser sessions', () => {
  it('accept their own token until it expires, for the key that signed in', () => {
    const p = policy();
    const now = Date.UTC(2026, 0, 1);
    const bot = p.byName.get('ops.bot')!;
    const token = issueSession(bot, now);
    expect(verifySession(p, token, now + 1000)?.name).toBe('ops.bot');
    expect(verifySession(p, token, now + SESSION_SECONDS * 1000)).toBeNull();
  });

  it('refuse a token whose name, expiry or MAC was changed, or whose key changed', () => {
    const p = policy();
    const now = Date.now();
    const token = issueSession(p.byName.get('ops.bot')!, now);
    const [name, expiry, mac] = [token.slice(0, 7), token.split('.')[2]!, token.split('.')[3]!];
    expect(name).toBe('ops.bot');
    expect(verifySession(p, `alice.${expiry}.${mac}`, now)).toBeNull();
    expect(verifySession(p, `ops.bot.${Number(expiry) + 3600}.${mac}`, now)).toBeNull();
    expect(verifySession(p, `ops.bot.${expiry}.${'A'.repeat(43)}`, now)).toBeNull();
    expect(verifySession(p, 'garbage', now)).toBeNull();
    const rotated = parseAccessPolicy(
      { keys: [{ name: 'ops.bot', role: 'viewer', key: 'a-new-secret-for-bot' }] },
      'test',
    );
    expect(verifySession(rotated, token, now)).toBeNull();
  });
});
