import { describe, expect, it } from 'vitest';
import { parseSyslog, syslogCandidate } from '../../src/protocols/syslog/parse.js';

// BSD timestamps are read in the server's local zone: pin it (Node applies TZ changes at once).
process.env.TZ = 'UTC';
const NOW = new Date('2026-11-22T12:00:00Z');

describe('RFC 5424', () => {
  it('header, structured data with promoted keyword fields, msgid and procid', () => {
    const r = parseSyslog(
      '<131>1 2026-11-22T09:05:04.031034+00:00 vm myapp 4242 DBFAIL [timeQuality tzKnown="1" isSynced="0"][meta@32473 resourceId="server-1234" traceId="abc-xyz-123"] Failed to connect to DB',
      NOW,
    );
    expect(r).toEqual({
      message: 'Failed to connect to DB',
      timestamp: '2026-11-22T09:05:04.031034+00:00',
      level: 'error',
      facility: 'local0',
      severity: 'err',
      hostname: 'vm',
      appName: 'myapp',
      procId: '4242',
      msgId: 'DBFAIL',
      timeQuality: { tzKnown: '1', isSynced: '0' },
      'meta@32473': { resourceId: 'server-1234', traceId: 'abc-xyz-123' },
      resourceId: 'server-1234',
      traceId: 'abc-xyz-123',
    });
  });

  it('NILVALUEs, no structured data, no message; hostname becomes the resourceId', () => {
    expect(parseSyslog('<13>1 - - - - - -', NOW)).toEqual({
      message: '',
      timestamp: NOW.toISOString(),
      level: 'info',
      facility: 'user',
      severity: 'notice',
    });
    const r = parseSyslog(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - hello',
      NOW,
    );
    expect(r).toMatchObject({
      facility: 'local4',
      severity: 'notice',
      level: 'info',
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      resourceId: 'mymachine.example.com',
      appName: 'evntslog',
      msgId: 'ID47',
      message: 'hello',
    });
    expect(r.procId).toBeUndefined();
  });

  it('SD escapes (\\" \\\\ \\]), a literal backslash, repeated params, "]" in the message, BOM stripped', () => {
    const r = parseSyslog(
      '<14>1 2026-11-22T09:06:55Z h app - - [x a="q\\"u\\\\o\\]te" b="c:\\path" ip="1.1.1.1" ip="2.2.2.2"][y z=""] \uFEFFmsg with ] bracket',
      NOW,
    );
    expect(r.x).toEqual({ a: 'q"u\\o]te', b: 'c:\\path', ip: ['1.1.1.1', '2.2.2.2'] });
    expect(r.y).toEqual({ z: '' });
    expect(r.message).toBe('msg with ] bracket');
  });

  it('an SD-ID that names a header field cannot overwrite it', () => {
    const r = parseSyslog('<14>1 2026-11-22T09:06:55Z h app - - [hostname a="1"][__proto__ b="2"] m', NOW);
    expect(r.hostname).toBe('h');
    expect(r.sd_hostname).toEqual({ a: '1' });
    expect(r.sd___proto__).toEqual({ b: '2' });
  });

  it.each([
    ['<14>1 2026-11-22T09:06:55Z h app - - [x a="1"', 'SD-ELEMENT opened at character 33 is not closed'],
    ['<14>1 2026-11-22T09:06:55Z h app - - [x a="1 m', 'has no closing quote'],
    ['<14>1 2026-11-22T09:06:55Z h app - - [x a=1] m', 'expected ="value"'],
    ['<14>1 2026-11-22T09:06:55Z h app - - x m', 'must be "-" or start with "["'],
    ['<14>1 2026-11-22T09:06:55Z h', 'header ends before HOSTNAME'],
    ['<14>1 2026-11-22T09:06:55Z h app - - [x a="1"]m', 'expects a space after STRUCTURED-DATA'],
  ])('malformed %j is stored whole with parseError', (line, why) => {
    const r = parseSyslog(line, NOW);
    expect(r.message).toBe(line.slice(4));
    expect(r.parseError).toContain(why);
    expect(r.level).toBe('info');
    expect(r.timestamp).toBe(NOW.toISOString());
  });

  it('an invalid timestamp is reported and replaced by the time of receipt', () => {
    const r = parseSyslog('<11>1 2026-13-45T99:00:00Z h app - - - boom', NOW);
    expect(r).toMatchObject({ message: 'boom', level: 'error', timestamp: NOW.toISOString(), hostname: 'h' });
    expect(r.parseError).toMatch(/TIMESTAMP .* is not RFC 3339/);
  });
});

describe('RFC 3164 and the rsyslog hybrid', () => {
  it('BSD header with hostname and tag', () => {
    expect(parseSyslog('<131>Nov 22 09:06:55 vm myapp: Failed to connect to DB', NOW)).toEqual({
      message: 'Failed to connect to DB',
      timestamp: '2026-11-22T09:06:55.000000Z',
      level: 'error',
      facility: 'local0',
      severity: 'err',
      hostname: 'vm',
      appName: 'myapp',
      resourceId: 'vm',
    });
  });

  it('tag with pid, space-padded day, no hostname', () => {
    expect(parseSyslog('<30>Nov  2 09:05:04 sshd[812]: Accepted publickey', NOW)).toMatchObject({
      timestamp: '2026-11-02T09:05:04.000000Z',
      appName: 'sshd',
      procId: '812',
      message: 'Accepted publickey',
      facility: 'daemon',
      severity: 'info',
    });
    const r = parseSyslog('<30>Nov  2 09:05:04 host1 CRON[99]: ran', NOW);
    expect(r).toMatchObject({ hostname: 'host1', appName: 'CRON', procId: '99', message: 'ran' });
  });

  it('fractions and an explicit year; a December date seen in January is last year', () => {
    expect(parseSyslog('<13>Nov 22 2024 09:06:55 h a: m', NOW).timestamp).toBe('2024-11-22T09:06:55.000000Z');
    expect(parseSyslog('<13>Nov 22 09:06:55.123456 h a: m', NOW).timestamp).toBe(
      '2026-11-22T09:06:55.123456Z',
    );
    expect(parseSyslog('<13>Dec 31 23:59:59 h a: m', new Date('2027-01-01T00:00:05Z')).timestamp).toBe(
      '2026-12-31T23:59:59.000000Z',
    );
  });

  it('BSD timestamps are local time', () => {
    process.env.TZ = 'Europe/Berlin';
    try {
      expect(parseSyslog('<13>Nov 22 09:06:55 h a: m', NOW).timestamp).toBe('2026-11-22T08:06:55.000000Z');
    } finally {
      process.env.TZ = 'UTC';
    }
  });

  it('rsyslog hybrid: RFC 3339 timestamp in a BSD header', () => {
    expect(
      parseSyslog('<131>2026-11-22T09:04:53.961202+00:00 vm myapp: Failed to connect to DB', NOW),
    ).toEqual({
      message: 'Failed to connect to DB',
      timestamp: '2026-11-22T09:04:53.961202+00:00',
      level: 'error',
      facility: 'local0',
      severity: 'err',
      hostname: 'vm',
      appName: 'myapp',
      resourceId: 'vm',
    });
  });

  it('no timestamp: the text is the message (RFC 3164 §4.3.3), a tag is still recognised', () => {
    expect(parseSyslog('<13>myapp: hello', NOW)).toMatchObject({
      appName: 'myapp',
      message: 'hello',
      timestamp: NOW.toISOString(),
    });
    expect(parseSyslog('<13>just some text', NOW)).toMatchObject({ message: 'just some text' });
    expect(parseSyslog('<13>Feb 30 10:00:00 h a: m', NOW).message).toBe('Feb 30 10:00:00 h a: m');
  });

  it('no PRI: stored whole as user.notice with parseError; every severity maps onto a level', () => {
    expect(parseSyslog('hello there', NOW)).toMatchObject({
      message: 'hello there',
      facility: 'user',
      severity: 'notice',
      level: 'info',
    });
    expect(parseSyslog('<999>x', NOW).parseError).toMatch(/no <PRI>/);
    const levels = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => parseSyslog(`<${s}>x`, NOW).level);
    expect(levels).toEqual(['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug']);
    expect(parseSyslog('<191>x', NOW)).toMatchObject({ facility: 'local7', severity: 'debug' });
  });
});

describe('syslogCandidate', () => {
  it('strips framing newlines and NULs, skips blank frames, marks truncation, decodes bad UTF-8 as U+FFFD', () => {
    expect(syslogCandidate(Buffer.from('<13>a: b\r\n\0'), false, NOW)).toEqual({
      value: expect.objectContaining({ message: 'b', appName: 'a' }),
    });
    expect(syslogCandidate(Buffer.from('\n'), false, NOW)).toBeNull();
    const c = syslogCandidate(Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0x61, 0xff]), true, NOW);
    expect(c).toEqual({ value: expect.objectContaining({ message: 'a\uFFFD', truncated: true }) });
  });
});
