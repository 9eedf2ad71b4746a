import { describe, expect, it } from 'vitest';
import { parseQuery } from './parse.js';
import { messageKeys, requiredTokens } from './required-tokens.js';

describe('messageKeys: tokens a matching message certainly has', () => {
  it.each([
    ['timeout', ['timeout']],
    ['TimeOut', ['timeout']],
    ['Failed  to\tconnect', ['failed', 'to', 'connect']],
    ['foo.bar', ['foo', 'bar']],
    ['server-0012', ['server']],
    ['C++', ['c']],
    ['(timeout)', ['timeout']],
    ['time_out', ['time_out']],
    ['abc123', ['abc123']],
    ['404', []],
    ['10.0.0.1', []],
    ['...', []],
    // Non-ASCII words are left to the scan: RE2 and JavaScript may disagree on their classes.
    ['café', []],
    ['ſtop', []],
    ['café au lait', ['au', 'lait']],
  ])('%j → %j', (text, keys) => {
    expect(messageKeys(text)).toEqual(keys);
  });
});

describe('requiredTokens over the AST', () => {
  const need = (q: string) => requiredTokens(parseQuery(q));

  it('a bare word also matches keyword fields', () => {
    expect(need('timeout')).toEqual({ kind: 'text', keys: ['timeout'], keywordValue: 'timeout' });
  });

  it('message: words and phrases do not', () => {
    expect(need('message:"failed to connect"')).toEqual({
      kind: 'text',
      keys: ['failed', 'to', 'connect'],
      keywordValue: null,
    });
  });

  it('AND keeps what it can, OR needs every branch', () => {
    expect(need('timeout AND level:error')).toEqual(need('timeout'));
    expect(need('a OR b')).toMatchObject({ kind: 'or' });
    expect(need('timeout OR level:error')).toBeNull();
  });

  it.each([
    'NOT timeout',
    '-timeout',
    'time*',
    'tim?out',
    'message:/timeout/',
    'level:error',
    'resourceId:server-1',
    'http.status:500',
    'timestamp:>2024-01-01',
    'message:*',
    '404',
    '*',
    '',
  ])('%j never prunes', (q) => {
    expect(need(q)).toBeNull();
  });
});
