import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler, type ChunkDrop } from '../../src/protocols/gelf/chunks.js';
import { decompressGelf, GelfDecodeError, gelfFromJson, gelfRecord } from '../../src/protocols/gelf/parse.js';
import { chunk } from './syslog-gelf-sockets.js';

const NOW = new Date('2026-11-22T12:00:00Z');

describe('GELF → record', () => {
  it('maps the standard fields and strips the underscore of additional ones', () => {
    expect(
      gelfRecord(
        {
          version: '1.1',
          host: 'vm',
          short_message: 'Failed to connect to DB',
          full_message: 'stack\n  at x',
          timestamp: 1795338701.742,
          level: 3,
          _facility: 'demo',
          _resourceId: 'server-1234',
          _traceId: 'abc-xyz-123',
          _commit: '5e5342f',
          _http_status: 502,
        },
        NOW,
      ),
    ).toEqual({
      value: {
        message: 'Failed to connect to DB',
        timestamp: '2026-11-22T09:11:41.742000Z',
        level: 'error',
        severity: 'err',
        host: 'vm',
        fullMessage: 'stack\n  at x',
        facility: 'demo',
        resourceId: 'server-1234',
        traceId: 'abc-xyz-123',
        commit: '5e5342f',
        http_status: 502,
      },
    });
  });

  it('host is the default resourceId; missing timestamp/level → receipt time and info', () => {
    expect(gelfRecord({ short_message: 'x', host: 'h1' }, NOW)).toEqual({
      value: { message: 'x', timestamp: NOW.toISOString(), level: 'info', host: 'h1', resourceId: 'h1' },
    });
  });

  it('every syslog level, numeric strings, names passed on', () => {
    const lv = (level: unknown) =>
      (gelfRecord({ short_message: 'x', level }, NOW) as { value: Record<string, unknown> }).value;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((l) => lv(l).level)).toEqual([
      'fatal',
      'fatal',
      'fatal',
      'error',
      'warn',
      'info',
      'info',
      'debug',
    ]);
    expect(lv('4')).toMatchObject({ level: 'warn', severity: 'warning' });
    expect(lv('ERROR')).toMatchObject({ level: 'ERROR' }); // normalised by the pipeline
    expect(lv(42)).toMatchObject({ level: 42 });
  });

  it('additional fields cannot shadow mapped ones; __proto__ is not a way in', () => {
    const r = gelfFromJson(
      '{"short_message":"m","host":"h","_message":"other","_level":"x","_host":"y","__proto__":{"polluted":1},"___proto__":2,"file":"a.js"}',
      NOW,
    ) as { value: Record<string, unknown> };
    expect(r.value).toEqual({
      message: 'm',
      timestamp: NOW.toISOString(),
      level: 'info',
      host: 'h',
      resourceId: 'h',
      _message: 'other',
      _level: 'x',
      _host: 'y',
      ___proto__: 2,
      file: 'a.js',
    });
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
  });

  it('timestamps: integer, fraction, numeric string, ISO passed on', () => {
    const ts = (timestamp: unknown) =>
      (gelfRecord({ short_message: 'x', timestamp }, NOW) as { value: Record<string, unknown> }).value
        .timestamp;
    expect(ts(1795338690)).toBe('2026-11-22T09:11:30.000000Z');
    expect(ts('1795338690.5')).toBe('2026-11-22T09:11:30.500000Z');
    expect(ts(1795338690.123456)).toBe('2026-11-22T09:11:30.123456Z');
    expect(ts('2026-11-22T09:00:00Z')).toBe('2026-11-22T09:00:00Z');
  });

  it.each([
    ['[1]', 'not_an_object'],
    ['"text"', 'not_an_object'],
    ['{"host":"h"}', 'missing_message'],
    ['{"short_message":{"a":1}}', 'invalid_message'],
    ['{"short_message": "x"', 'invalid_json'],
  ])('%s → %s', (text, code) => {
    expect(gelfFromJson(text, NOW)).toEqual({ error: { code, message: expect.any(String) } });
  });
});

describe('decompressGelf', () => {
  const json = Buffer.from('{"short_message":"zipped"}');
  it('zlib, gzip and plain', () => {
    expect(decompressGelf(deflateSync(json), 1024).toString()).toBe(json.toString());
    expect(decompressGelf(gzipSync(json), 1024).toString()).toBe(json.toString());
    expect(decompressGelf(json, 1024)).toBe(json);
  });
  it('bounded output and corrupt input are GelfDecodeErrors', () => {
    const bomb = deflateSync(Buffer.alloc(1 << 20, 0x20));
    expect(() => decompressGelf(bomb, 1024)).toThrow(GelfDecodeError);
    const corrupt = Buffer.concat([deflateSync(json).subarray(0, 6), Buffer.from('garbage')]);
    expect(() => decompressGelf(corrupt, 1024)).toThrow(/not valid zlib/);
  });
});

describe('ChunkAssembler', () => {
  function assembler(opts: { maxMessageBytes?: number; maxPendingBytes?: number } = {}) {
    let clock = 0;
    const drops: ChunkDrop[] = [];
    const a = new ChunkAssembler({
      timeoutMs: 5000,
      maxMessageBytes: opts.maxMessageBytes ?? 1024,
      maxPendingBytes: opts.maxPendingBytes ?? 4096,
      onDrop: (reason) => drops.push(reason),
      now: () => clock,
    });
    return { a, drops, tick: (ms: number) => (clock += ms) };
  }

  it('reassembles out of order, ignores duplicates, keeps senders apart', () => {
    const { a, drops } = assembler();
    expect(a.add(chunk(7, 2, 3, 'c'), 's1')).toBeNull();
    expect(a.add(chunk(7, 0, 3, 'a'), 's1')).toBeNull();
    expect(a.add(chunk(7, 0, 3, 'X'), 's1')).toBeNull(); // duplicate
    expect(a.add(chunk(7, 1, 3, 'b'), 's2')).toBeNull(); // same id, other sender
    expect(a.add(chunk(7, 1, 3, 'b'), 's1')?.toString()).toBe('abc');
    expect(a.stats().messages).toBe(1);
    expect(drops).toEqual([]);
    a.close();
    expect(drops).toEqual(['chunk_timeout']);
  });

  it('drops incomplete messages after the timeout', () => {
    const { a, drops, tick } = assembler();
    a.add(chunk(1, 0, 2, 'a'), 's');
    tick(4000);
    a.add(chunk(2, 0, 2, 'a'), 's');
    tick(1500);
    a.expire();
    expect(drops).toEqual(['chunk_timeout']);
    expect(a.add(chunk(2, 1, 2, 'b'), 's')?.toString()).toBe('ab');
    a.close();
  });

  it('bad chunks, count changes and over-long messages are dropped; memory is bounded', () => {
    const { a, drops } = assembler({ maxMessageBytes: 10, maxPendingBytes: 16 });
    expect(a.add(chunk(1, 0, 0, 'x'), 's')).toBeNull();
    expect(a.add(chunk(1, 3, 2, 'x'), 's')).toBeNull();
    expect(a.add(chunk(1, 0, 129, 'x'), 's')).toBeNull();
    expect(a.add(chunk(1, 0, 2, ''), 's')).toBeNull();
    a.add(chunk(2, 0, 2, 'x'), 's');
    a.add(chunk(2, 1, 3, 'y'), 's');
    a.add(chunk(3, 0, 3, '12345678'), 's');
    a.add(chunk(3, 1, 3, '12345678'), 's');
    a.add(chunk(4, 0, 3, '12345678'), 's');
    a.add(chunk(5, 0, 3, '12345678'), 's');
    a.add(chunk(6, 0, 3, '12345678'), 's');
    expect(a.stats().bytes).toBeLessThanOrEqual(16);
    expect(drops).toEqual([
      'bad_chunk',
      'bad_chunk',
      'bad_chunk',
      'bad_chunk',
      'bad_chunk',
      'message_too_large',
      'chunk_memory',
    ]);
    a.close();
  });
});
