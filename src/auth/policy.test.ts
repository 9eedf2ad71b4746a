import { describe, expect, it } from 'vitest';
import { keyOf, parseAccessPolicy, sha256 } from './policy.js';

const SECRET = 'a-secret-of-20-chars';
const file = (json: unknown) => () => parseAccessPolicy(json, 'access.json');

describe('the access file', () => {
  it('reads keys given as secrets or as their SHA-256, with built-in and own roles', () => {
    const policy = parseAccessPolicy(
      {
        roles: { payments: { permissions: ['read', 'save'], filter: 'resourceId:payments-*' } },
        keys: [
          { name: 'alice', role: 'admin', key: SECRET },
          { name: 'pay-team', role: 'payments', sha256: sha256('another-secret-000').toString('hex') },
        ],
      },
      'access.json',
    );
    expect(keyOf(policy, SECRET)?.name).toBe('alice');
    expect([...keyOf(policy, SECRET)!.role.permissions].sort()).toEqual([
      'admin',
      'ingest',
      'metrics',
      'read',
      'save',
    ]);
    const pay = keyOf(policy, 'another-secret-000')!;
    expect(pay.role.filter?.text).toBe('resourceId:payments-*');
    expect(pay.role.filter?.query).toEqual({ kind: 'wildcard', field: 'resourceId', pattern: 'payments-*' });
    expect(keyOf(policy, 'another-secret-000', 'alice')).toBeNull(); // sent with another key's name
    expect(keyOf(policy, 'another-secret-000', 'pay-team')?.name).toBe('pay-team');
    expect(keyOf(policy, 'not-a-key-at-all-xx')).toBeNull();
  });

  it.each([
    [[], /must be a JSON object/],
    [{ keys: [] }, /"keys" must be a non-empty list/],
    [{ keys: [{ name: 'a', role: 'admin', key: SECRET }], users: [] }, /unknown field "users"/],
    [{ keys: [{ name: 'a:b', role: 'admin', key: SECRET }] }, /key 0 \("a:b"\): "name" must be/],
    [
      { keys: [{ name: 'a', role: 'root', key: SECRET }] },
      /"role" must be one of admin, editor, viewer, ingest/,
    ],
    [{ keys: [{ name: 'a', role: 'admin', key: 'short' }] }, /shorter than 16 characters/],
    [{ keys: [{ name: 'a', role: 'admin' }] }, /exactly one of "key" \(the secret\) or "sha256"/],
    [{ keys: [{ name: 'a', role: 'admin', key: SECRET, sha256: 'ab' }] }, /exactly one of/],
    [{ keys: [{ name: 'a', role: 'admin', sha256: 'xyz' }] }, /"sha256" must be 64 hex digits/],
    [
      {
        keys: [
          { name: 'a', role: 'admin', key: SECRET },
          { name: 'a', role: 'viewer', key: `${SECRET}2` },
        ],
      },
      /key 1 \("a"\): the name is used twice/,
    ],
    [
      {
        keys: [
          { name: 'a', role: 'admin', key: SECRET },
          { name: 'b', role: 'viewer', key: SECRET },
        ],
      },
      /the same secret as key "a"/,
    ],
    [{ roles: { admin: { permissions: ['read'] } }, keys: [] }, /role "admin" is built in/],
    [{ roles: { r: { permissions: ['write'] } }, keys: [] }, /role "r": unknown permission "write"/],
    [{ roles: { r: { permissions: [] } }, keys: [] }, /"permissions" must be a non-empty list/],
    [
      { roles: { r: { permissions: ['read'], filter: 'level:(' } }, keys: [] },
      /"filter" is not a valid query/,
    ],
    [
      { roles: { r: { permissions: ['read'], where: 'x' } }, keys: [] },
      /role "r" has an unknown field "where"/,
    ],
  ])('refuses %j with a message naming the mistake', (json, message) => {
    expect(file(json)).toThrow(message);
    expect(file(json)).toThrow(/^access file access\.json: /);
  });
});
