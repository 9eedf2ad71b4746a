import { describe, expect, it } from 'vitest';
import { DelimitedFramer } from '../../src/protocols/socket/frames.js';
import { type FramingProblem, SyslogFramer } from '../../src/protocols/syslog/framing.js';

function framer(max = 1024) {
  const problems: Array<[FramingProblem, string]> = [];
  const f = new SyslogFramer(max, (p, d) => problems.push([p, d]));
  return { f, problems };
}

/** Feeds `input` in pieces of `size` bytes and returns every frame as text (truncated ones marked). */
function feed(f: SyslogFramer | DelimitedFramer, input: string | Buffer, size: number): string[] {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const out: string[] = [];
  for (let i = 0; i < buf.length; i += size) {
    for (const fr of f.push(buf.subarray(i, i + size)))
      out.push((fr.truncated ? '~' : '') + fr.data.toString());
  }
  for (const fr of f.end()) out.push((fr.truncated ? '~' : '') + fr.data.toString());
  return out;
}

const COUNTED =
  '92 <131>1 2026-11-22T09:06:55+00:00 vm myapp - - [meta sequenceId="1"] Failed to connect to DB\n' +
  '80 <131>1 2026-11-22T09:06:55+00:00 vm myapp - - [meta sequenceId="2"] second line\n';

describe('SyslogFramer', () => {
  it.each([1, 2, 7, 64, 4096])(
    'octet counting with the newline inside the count, in %i-byte reads',
    (size) => {
      const { f, problems } = framer();
      expect(feed(f, COUNTED, size)).toEqual([
        '<131>1 2026-11-22T09:06:55+00:00 vm myapp - - [meta sequenceId="1"] Failed to connect to DB\n',
        '<131>1 2026-11-22T09:06:55+00:00 vm myapp - - [meta sequenceId="2"] second line\n',
      ]);
      expect(problems).toEqual([]);
    },
  );

  it('octet counting with a newline after each frame (outside the count), and no newline at all', () => {
    const { f } = framer();
    expect(feed(f, '5 <13>a\n5 <13>b\n\r\n5 <13>c', 3)).toEqual(['<13>a', '<13>b', '<13>c']);
  });

  it.each([1, 5, 4096])(
    'newline framing (detected from "<"), last line without newline, in %i-byte reads',
    (size) => {
      const { f } = framer();
      expect(feed(f, '<13>one\n<13>two\r\n\n<13>three', size)).toEqual(['<13>one', '<13>two\r', '<13>three']);
    },
  );

  it('a newline-framed connection keeps its framing when a message starts with digits', () => {
    const { f } = framer();
    expect(feed(f, '<13>a\n12 apples\n', 4)).toEqual(['<13>a', '12 apples']);
  });

  it('a bad octet-count header: that line is read as a message and the stream resynchronises', () => {
    const { f, problems } = framer();
    expect(feed(f, '5 <13>a12x <13>oops\n5 <13>b', 3)).toEqual(['<13>a', '12x <13>oops', '<13>b']);
    expect(problems.map((p) => p[0])).toEqual(['bad_octet_count']);
    expect(problems[0]![1]).toContain('found "12x');
  });

  it('a zero or 11-digit count is bad framing, not a huge allocation', () => {
    const { f, problems } = framer();
    expect(feed(f, '0 x\n99999999999 y\n', 4)).toEqual(['0 x', '99999999999 y']);
    expect(problems.map((p) => p[0])).toEqual(['bad_octet_count', 'bad_octet_count']);
  });

  it('an over-long counted frame keeps its first maxBytes, skips the rest, and the next frame is intact', () => {
    const { f, problems } = framer(8);
    expect(feed(f, `20 <13>${'x'.repeat(16)}5 <13>b`, 3)).toEqual(['~<13>xxxx', '<13>b']);
    expect(problems.map((p) => p[0])).toEqual(['message_too_large']);
  });

  it('an over-long line is cut and the rest of it discarded', () => {
    const { f, problems } = framer(8);
    expect(feed(f, `<13>${'y'.repeat(20)}\n<13>ok\n`, 5)).toEqual(['~<13>yyyy', '<13>ok']);
    expect(problems.map((p) => p[0])).toEqual(['message_too_large']);
  });

  it('a connection closed inside a counted frame keeps what arrived, marked truncated', () => {
    const { f, problems } = framer();
    expect(feed(f, '50 <13>partial', 4)).toEqual(['~<13>partial']);
    expect(problems.map((p) => p[0])).toEqual(['truncated_frame']);
  });
});

describe('DelimitedFramer (GELF over TCP: NUL)', () => {
  it('splits on NUL across reads and bounds each message', () => {
    const f = new DelimitedFramer(0, 10);
    expect(feed(f, Buffer.from('{"a":1}\0{"b":2}\0\0{"c":"0123456789"}\0{"d":4}'), 3)).toEqual([
      '{"a":1}',
      '{"b":2}',
      '~{"c":"0123',
      '{"d":4}',
    ]);
  });
});
