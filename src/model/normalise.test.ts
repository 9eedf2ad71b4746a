import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './limits.js';
import { normaliseRecord, serialiseRecord } from './normalise.js';
import type { StoredRecord } from './record.js';

const NOW = Date.UTC(2026, 0, 1) * 1000;
const ctx = { limits: DEFAULT_LIMITS, nowMicros: NOW };
const ok = (v: unknown): StoredRecord => {
  const r = normaliseRecord(v, ctx);
  if ('error' in r) throw new Error(r.error.message);
  return r.record;
};
const err = (v: unknown) => {
  const r = normaliseRecord(v, ctx);
  return 'error' in r ? r.error.code : undefined;
};

describe('normaliseRecord', () => {
  it('maps the reference record onto columns and keeps the rest as sent', () => {
    const r = ok({
      level: 'error',
      message: 'Failed',
      resourceId: 'server-1234',
      timestamp: '2023-09-15T08:00:00Z',
      traceId: 't',
      spanId: 's',
      commit: 'c',
      metadata: { parentResourceId: 'p' },
    });
    expect(r).toMatchObject({
      ts: Date.UTC(2023, 8, 15, 8) * 1000,
      level: 'error',
      message: 'Failed',
      resourceId: 'server-1234',
      traceId: 't',
      spanId: 's',
      commit: 'c',
    });
    expect(r.attrs).toEqual({ metadata: { parentResourceId: 'p' } });
  });

  it('defaults the level to info and the time to receipt', () => {
    expect(ok({ message: 'x' })).toMatchObject({ level: 'info', ts: NOW });
  });

  it('accepts pino/bunyan aliases msg and time', () => {
    const r = ok({ msg: 'hi', time: 1694764800000, level: 40 });
    expect(r).toMatchObject({ message: 'hi', ts: 1694764800000000, level: 'warn' });
    expect(r.attrs).toEqual({ originalLevel: 40 });
  });

  it('keeps a differently spelled level as originalLevel', () => {
    expect(ok({ message: 'x', level: 'WARNING' })).toMatchObject({
      level: 'warn',
      attrs: { originalLevel: 'WARNING' },
    });
    expect(ok({ message: 'x', level: 'error' }).attrs).toEqual({});
    expect(ok({ message: 'x', level: 3 })).toMatchObject({ level: 'error' }); // syslog err
  });

  it('stringifies numeric keyword fields and keeps a client id as _id', () => {
    expect(ok({ message: 'x', commit: 123, id: 'client-7' })).toMatchObject({
      commit: '123',
      attrs: { _id: 'client-7' },
    });
  });

  it('refuses with a reason', () => {
    expect(err([])).toBe('not_an_object');
    expect(err({})).toBe('missing_message');
    expect(err({ message: 5 })).toBe('invalid_message');
    expect(err({ message: 'x', timestamp: 'soon' })).toBe('invalid_timestamp');
    expect(err({ message: 'x', timestamp: '2100-01-01T00:00:00Z' })).toBe('timestamp_out_of_range');
    expect(err({ message: 'x', traceId: [1] })).toBe('invalid_field');
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(err({ message: 'x', deep })).toBe('too_deep');
    expect(
      err({ message: 'x', ...Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])) }),
    ).toBe('too_many_fields');
  });

  it('refuses records older than the retention window', () => {
    const r = normaliseRecord(
      { message: 'x', timestamp: '2025-01-01T00:00:00Z' },
      { ...ctx, minMicros: NOW - 86_400_000_000 },
    );
    expect('error' in r && r.error.code).toBe('timestamp_out_of_range');
  });
});

describe('serialiseRecord', () => {
  it('writes one JSON line with id first', () => {
    const r = ok({ message: 'x' });
    r.id = '42';
    expect(serialiseRecord(r, DEFAULT_LIMITS)).toBe(
      `{"id":"42","ts":${NOW},"level":"info","message":"x","attrs":{}}`,
    );
  });

  it('replaces NUL and lone surrogates everywhere, keys included', () => {
    const r = ok({ message: 'a\u0000b', 'k\u0000': '\ud800' });
    r.id = '1';
    const line = serialiseRecord(r, DEFAULT_LIMITS) as string;
    expect(JSON.parse(line)).toMatchObject({ message: 'a\uFFFDb', attrs: { 'k\uFFFD': '\uFFFD' } });
  });

  it('leaves a literal backslash-u sequence alone', () => {
    const r = ok({ message: 'path C:\\u0000dir' });
    r.id = '1';
    expect(JSON.parse(serialiseRecord(r, DEFAULT_LIMITS) as string).message).toBe('path C:\\u0000dir');
  });

  it('refuses records over the size limit', () => {
    const r = ok({ message: 'é'.repeat(300_000) }); // 600 KB as UTF-8
    r.id = '1';
    expect(serialiseRecord(r, DEFAULT_LIMITS)).toMatchObject({ code: 'record_too_large' });
  });
});
