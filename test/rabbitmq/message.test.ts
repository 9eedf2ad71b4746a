import type { Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeBody, publishOptions } from '../../src/buffer/rabbitmq/message.js';
import { isTransientError } from '../../src/buffer/rabbitmq/transient.js';
import { records } from '../helpers/rabbitmq.js';

function message(body: Buffer, props: object): Message {
  return {
    content: body,
    fields: {} as Message['fields'],
    properties: props as unknown as Message['properties'],
  };
}

describe('message format', () => {
  it('decodes what it encodes', () => {
    const r = records(3, 18_446_744_073_709_551_000n);
    const d = decodeMessage(message(encodeBody(r.lines), publishOptions('k1', 3, r.bounds)));
    expect(d).toEqual({ ok: true, records: 3, part: { key: 'k1', lines: r.lines, bounds: r.bounds } });
  });

  it('refuses anything else with a reason, never throws', () => {
    const r = records(1);
    const good = publishOptions('k', 1, r.bounds);
    const body = encodeBody(r.lines);
    const cases: Array<[Buffer, object, RegExp]> = [
      [body, { ...good, messageId: undefined }, /messageId/],
      [body, { ...good, messageId: 'x'.repeat(201) }, /messageId/],
      [body, { ...good, headers: undefined }, /sawmill-format/],
      [body, { ...good, headers: { ...good.headers, 'sawmill-records': -1 } }, /positive integer/],
      [body, { ...good, headers: { ...good.headers, 'sawmill-min-ts': 'abc' } }, /integer range/],
      [
        body,
        { ...good, headers: { ...good.headers, 'sawmill-first-id': '99999999999999999999999' } },
        /id range/,
      ],
      [body, { ...good, headers: { ...good.headers, 'sawmill-last-id': '0' } }, /id range/],
      [body, { ...good, contentEncoding: 'gzip' }, /encoding/],
      [Buffer.from([0xc3, 0x28]), good, /UTF-8/],
      [Buffer.from(''), good, /not a JSON object/],
      [Buffer.from('{"a":1}\n'), good, /2 lines/],
    ];
    for (const [b, props, reason] of cases) {
      const d = decodeMessage(message(b, props));
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.reason).toMatch(reason);
    }
  });
});

describe('transient store failures', () => {
  it('tells an unavailable store from a bad message', () => {
    const coded = (code: string, msg = 'x') => Object.assign(new Error(msg), { code });
    expect(isTransientError(coded('ECONNREFUSED'))).toBe(true);
    expect(isTransientError(coded('57P01', 'terminating connection due to administrator command'))).toBe(
      true,
    );
    expect(isTransientError(coded('40001', 'could not serialize access'))).toBe(true);
    expect(isTransientError(coded('53100', 'could not extend file: No space left on device'))).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientError(new Error('load failed', { cause: coded('08006') }))).toBe(true);
    expect(isTransientError(coded('42P01', 'relation "logs" does not exist'))).toBe(true);
    expect(isTransientError(coded('25006', 'cannot execute INSERT in a read-only transaction'))).toBe(true);
    expect(isTransientError(coded('22P02', 'invalid input syntax for type json'))).toBe(false);
    expect(isTransientError(coded('54000', 'total size of jsonb array elements exceeds the maximum'))).toBe(
      false,
    );
    expect(isTransientError(coded('23502', 'null value in column'))).toBe(false);
    expect(isTransientError(new SyntaxError('Unexpected token'))).toBe(false);
    expect(isTransientError('a string')).toBe(false);
  });
});
