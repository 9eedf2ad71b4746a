import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../parse.js';
import { FIXTURE_NAMES, openQueryFixture, type QueryFixture } from '../test-fixture.js';
import { compileWhere } from './compile.js';
import { duckdbDialect } from './duckdb.js';

/** Semantics of every filter, asserted as the fixture rows (test-fixture.ts) each query matches. */
let fixture: QueryFixture;
beforeAll(async () => {
  fixture = await openQueryFixture();
});
afterAll(() => fixture.close());

const matches = (query: string, nowMs?: number) => fixture.match(query, nowMs);
const allBut = (...names: string[]) => FIXTURE_NAMES.filter((n) => !names.includes(n));

describe('words', () => {
  it('match whole words of the message in any case, not substrings', async () => {
    expect(await matches('timeout')).toEqual(['ids', 'timeout', 'upper']); // not "timeouts"
    expect(await matches('TIMEOUT')).toEqual(['ids', 'timeout', 'upper']);
    expect(await matches('message:timeout')).toEqual(['ids', 'timeout', 'upper']);
    expect(await matches('timeouts')).toEqual(['timeouts']);
    expect(await matches('connect')).toEqual(['connect', 'ref', 'spaces']); // not "connection"
  });

  it('match keyword fields exactly when no field is named', async () => {
    expect(await matches('server-1234')).toEqual(['ref']);
    expect(await matches('abc1234')).toEqual(['spaces']);
    expect(await matches('span-456')).toEqual(['ref']);
    expect(await matches('server')).toEqual([]); // no partial keyword matches
    expect(await matches('traceId:timeout')).toEqual(['ids']);
  });

  it('handle punctuation at word edges', async () => {
    expect(await matches('C++')).toEqual(['nokeys']);
    expect(await matches('100%')).toEqual(['punct']);
    expect(await matches('done.')).toEqual(['punct']);
    expect(await matches('"[OK]"')).toEqual(['punct']);
    expect(await matches('"/api/v1/logs"')).toEqual(['punct']);
  });

  it('find word boundaries in any script', async () => {
    expect(await matches('café')).toEqual(['unicode']);
    expect(await matches('caf')).toEqual([]);
    expect(await matches('соединения')).toEqual(['unicode']);
    expect(await matches('ошибка')).toEqual(['unicode']);
  });
});

describe('phrases', () => {
  it('match words in order at word boundaries, any whitespace between them', async () => {
    expect(await matches('"Failed to connect"')).toEqual(['ref', 'spaces']);
    expect(await matches('"failed to connect"')).toEqual(['ref', 'spaces']);
    expect(await matches('"to conn"')).toEqual([]);
    expect(await matches('"connect refused"')).toEqual(['connect']);
    expect(await matches('message:"connect refused"')).toEqual(['connect']);
  });

  it('compare exactly elsewhere', async () => {
    expect(await matches('"abc-xyz-123"')).toEqual(['ref']);
    expect(await matches('resourceId:"server-1234"')).toEqual(['ref']);
    expect(await matches('user.name:"o\'brien"')).toEqual(['nokeys']);
  });
});

describe('fields', () => {
  it('compare level by name in any case, with aliases', async () => {
    const errors = ['ref', 'refused', 'spaces', 'upper'];
    expect(await matches('level:error')).toEqual(errors);
    expect(await matches('level:ERROR')).toEqual(errors);
    expect(await matches('level:err')).toEqual(errors);
    expect(await matches('level:warning')).toEqual(['timeout', 'unicode']);
    expect(await matches('level:info')).toEqual([
      'ids',
      'keys',
      'nokeys',
      'notice',
      'timeouts',
      'w3c',
      'w3cupper',
    ]);
  });

  it('match a level name that ingest stored as info only on records sent with it', async () => {
    expect(await matches('level:notice')).toEqual(['notice']);
    expect(await matches('level:nonsense')).toEqual([]);
  });

  it('compare keyword fields exactly and case-sensitively', async () => {
    expect(await matches('resourceId:server-1234')).toEqual(['ref']);
    expect(await matches('resourceId:SERVER-1234')).toEqual([]);
    expect(await matches('resourceId:server-12')).toEqual(['timeouts']);
    expect(await matches('traceId:abc-xyz-123 AND spanId:span-456 AND commit:5e5342f')).toEqual(['ref']);
  });

  it('reach attributes by dotted path, nested or as a dotted key', async () => {
    expect(await matches('metadata.parentResourceId:server-0987')).toEqual(['ref']);
    expect(await matches('service.name:checkout')).toEqual(['otel']);
    expect(await matches('a.b:nested')).toEqual(['keys']);
    expect(await matches('a.b:dotted')).toEqual(['keys']);
    expect(await matches('metadata.parentResourceId:server')).toEqual([]);
  });

  it.each([["a'b:quote"], ['x\\"y:double'], ['p/q:slash'], ['t~u:tilde'], ['$:dollar'], ['\\[0\\]:bracket']])(
    'reach an attribute key with special characters: %s',
    async (query) => {
      expect(await matches(query)).toEqual(['keys']);
    },
  );

  it('match numbers and numeric strings alike, and booleans', async () => {
    expect(await matches('http.status:504')).toEqual(['timeout']);
    expect(await matches('http.status:200')).toEqual(['otel']); // sent as the string "200"
    expect(await matches('http.status:502')).toEqual(['refused']); // key "http.status"
    expect(await matches('http.status:502.0')).toEqual(['refused']);
    expect(await matches('user.id:42')).toEqual(['nokeys']);
    expect(await matches('ok:true')).toEqual(['otel']);
    expect(await matches('ok:false')).toEqual([]);
  });

  it('compare id and timestamp as their types', async () => {
    expect(await matches('id:1')).toEqual(['ref']);
    expect(await matches('id:99')).toEqual([]);
    expect(await matches('timestamp:"2023-09-15T08:00:00Z"')).toEqual(['ref']);
    expect(await matches('timestamp:1694764800')).toEqual(['ref']);
  });
});

describe('wildcards', () => {
  it('match whole keyword values, with LIKE characters literal', async () => {
    expect(await matches('resourceId:server-12*')).toEqual(['ref', 'timeout', 'timeouts']);
    expect(await matches('resourceId:server-?')).toEqual(['connect', 'refused']);
    expect(await matches('resourceId:server_1%')).toEqual(['punct']);
    expect(await matches('resourceId:server_*')).toEqual(['punct']);
    expect(await matches('resourceId:server?1*')).toEqual(['punct', 'ref', 'timeout', 'timeouts']);
    expect(await matches('resourceId:Server-12*')).toEqual([]);
  });

  it('match one word of the message, case-insensitively', async () => {
    expect(await matches('message:timeout*')).toEqual(['ids', 'timeout', 'timeouts', 'upper']);
    expect(await matches('message:*ed')).toEqual([
      'connect',
      'nokeys',
      'otel',
      'ref',
      'refused',
      'spaces',
      'w3c',
      'w3cupper',
    ]);
    expect(await matches('message:f?iled')).toEqual(['ref', 'spaces']);
    expect(await matches('message:CAF*')).toEqual(['unicode']);
  });

  it('without a field, match message words or whole keyword values', async () => {
    expect(await matches('conn*')).toEqual(['connect', 'ref', 'refused', 'spaces']);
    expect(await matches('server-12*')).toEqual(['ref', 'timeout', 'timeouts']);
  });

  it('match levels in any case and attributes as text', async () => {
    expect(await matches('level:ERR*')).toEqual(['ref', 'refused', 'spaces', 'upper']);
    expect(await matches('service.name:check*')).toEqual(['otel']);
    expect(await matches('http.status:50?')).toEqual(['refused', 'timeout']);
  });
});

describe('regular expressions', () => {
  it('match anywhere in the message, optionally case-insensitive', async () => {
    expect(await matches('message:/conn(ect|ection) refused/')).toEqual(['connect', 'refused']);
    expect(await matches('/^timeout/')).toEqual(['ids']);
    expect(await matches('/^timeout/i')).toEqual(['ids', 'upper']);
    expect(await matches('/TIMEOUT/')).toEqual(['upper']);
  });

  it('match anywhere in other fields', async () => {
    expect(await matches('resourceId:/^db-\\d$/')).toEqual(['upper']);
    expect(await matches('resourceId:/server-1/')).toEqual(['ref', 'timeout', 'timeouts']);
    expect(await matches('service.name:/^check/')).toEqual(['otel']);
    expect(await matches('id:/^1[0-4]$/')).toEqual(['ids', 'keys', 'notice', 'punct', 'unicode']);
    expect(await matches('timestamp:/^2023-09-16/')).toEqual(['spaces']);
  });
});

describe('ranges and comparisons', () => {
  it('select a time window', async () => {
    expect(await matches('timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]')).toEqual(
      allBut('otel', 'spaces'),
    );
    expect(await matches('timestamp:{2023-09-10T00:00:00Z TO 2023-09-11T00:00:00Z]')).toEqual(['punct']);
    expect(await matches('timestamp:[2023-09-15 TO *]')).toEqual(['ref', 'spaces']);
    expect(await matches('timestamp:<1694131200')).toEqual([]);
  });

  it('resolve relative times against now', async () => {
    const now = Date.parse('2023-09-16T00:30:00Z');
    expect(await matches('timestamp:>=now-1h', now)).toEqual(['spaces']);
    expect(await matches('timestamp:[now-7d/d TO now-1d/d}', now)).toEqual(allBut('ref', 'spaces'));
  });

  it('compare ids as numbers', async () => {
    expect(await matches('id:[2 TO 4]')).toEqual(['timeout', 'timeouts', 'upper']);
    expect(await matches('id:{2 TO 4}')).toEqual(['timeouts']);
    expect(await matches('id:>13')).toEqual(['keys', 'w3c', 'w3cupper']);
  });

  it('compare attributes as numbers when the bounds are numbers', async () => {
    expect(await matches('http.status:>=500')).toEqual(['refused', 'timeout']);
    expect(await matches('http.status:[100 TO 299]')).toEqual(['otel']);
    expect(await matches('http.status:<300')).toEqual(['otel']);
    expect(await matches('user.id:>40')).toEqual(['nokeys']);
  });

  it('compare text as text', async () => {
    expect(await matches('service.name:[a TO d]')).toEqual(['otel']);
    expect(await matches('resourceId:[server-1 TO server-2]')).toEqual(['ref', 'timeout', 'timeouts']);
  });

  it('compare levels by severity', async () => {
    expect(await matches('level:>=error')).toEqual(['connect', 'ref', 'refused', 'spaces', 'upper']);
    expect(await matches('level:<debug')).toEqual(['punct']);
    expect(await matches('level:[debug TO info]')).toEqual([
      'ids',
      'keys',
      'nokeys',
      'notice',
      'otel',
      'timeouts',
      'w3c',
      'w3cupper',
    ]);
  });
});

describe('existence', () => {
  it('matches records that have the field', async () => {
    expect(await matches('commit:*')).toEqual(['ref', 'spaces']);
    expect(await matches('traceId:*')).toEqual(['ids', 'ref', 'w3c', 'w3cupper']);
    expect(await matches('http.status:*')).toEqual(['otel', 'refused', 'timeout']);
    expect(await matches('metadata:*')).toEqual(['ref']);
    expect(await matches('message:*')).toEqual(FIXTURE_NAMES);
    expect(await matches('nothing:*')).toEqual([]);
  });
});

describe('boolean logic', () => {
  it('combines filters with AND, OR, NOT and precedence', async () => {
    expect(await matches('level:error AND NOT resourceId:server-1234')).toEqual([
      'refused',
      'spaces',
      'upper',
    ]);
    expect(await matches('level:fatal OR level:warn')).toEqual(['connect', 'timeout', 'unicode']);
    expect(await matches('(level:fatal OR level:warn) resourceId:server-9')).toEqual(['connect']);
    expect(await matches('level:(fatal OR warn) -resourceId:server-9')).toEqual(['timeout', 'unicode']);
    expect(await matches('level:error timeout')).toEqual(['upper']);
    expect(await matches('level:error || level:fatal && connect')).toEqual([
      'connect',
      'ref',
      'refused',
      'spaces',
      'upper',
    ]);
  });

  it('keeps records without the field when negating it', async () => {
    expect(await matches('-resourceId:server-9')).toEqual(allBut('connect', 'refused'));
    expect(await matches('NOT http.status:>=500')).toEqual(allBut('refused', 'timeout'));
    expect(await matches('NOT (resourceId:server-9 OR commit:*)')).toEqual(
      allBut('connect', 'refused', 'ref', 'spaces'),
    );
    expect(await matches('NOT NOT resourceId:server-9')).toEqual(['connect', 'refused']);
    expect(await matches('-timeout')).toEqual(allBut('ids', 'timeout', 'upper'));
  });

  it('matches everything for * and an empty query', async () => {
    expect(await matches('*')).toEqual(FIXTURE_NAMES);
    expect(await matches('')).toEqual(FIXTURE_NAMES);
    expect(await matches('nothing OR *')).toEqual(FIXTURE_NAMES);
  });
});

describe('compileWhere', () => {
  it('numbers its placeholders after the params already given', () => {
    const params: unknown[] = ['already'];
    const sql = compileWhere(parseQuery('resourceId:server-9'), duckdbDialect, params);
    expect(sql).toBe('resource_id = $2');
    expect(params).toEqual(['already', 'server-9']);
  });

  it('throws for a range bound of the wrong type in a hand-built query', () => {
    expect(() =>
      compileWhere({ kind: 'range', field: 'timestamp', gt: 'yesterday' }, duckdbDialect, []),
    ).toThrow(/not a time/);
    expect(() => compileWhere({ kind: 'range', field: 'id', gt: '-1' }, duckdbDialect, [])).toThrow(
      /not a record id/,
    );
  });
});

describe('W3C trace and span ids', () => {
  it('match exactly as sent, whether stored as integers (lowercase hex) or text', async () => {
    expect(await matches('traceId:0af7651916cd43dd8448eb211c80319c')).toEqual(['w3c']);
    expect(await matches('traceId:0AF7651916CD43DD8448EB211C80319C')).toEqual(['w3cupper']);
    expect(await matches('spanId:00f067aa0ba902b7')).toEqual(['w3c']);
    expect(await matches('spanId:00F067AA0BA902B7')).toEqual(['w3cupper']);
    expect(await matches('0af7651916cd43dd8448eb211c80319c')).toEqual(['w3c']);
    expect(await matches('"00f067aa0ba902b7"')).toEqual(['w3c']);
    expect(await matches('traceId:0af7651916cd43dd8448eb211c80319d')).toEqual([]);
  });

  it('read as their text for wildcards, regexes and ranges, leading zeros kept', async () => {
    expect(await matches('traceId:0af76519*')).toEqual(['w3c']);
    expect(await matches('spanId:00f0*')).toEqual(['w3c']);
    expect(await matches('traceId:/^0af7.*319c$/')).toEqual(['w3c']);
    expect(await matches('spanId:[00f0 TO 00f1]')).toEqual(['w3c']);
    expect(await matches('-traceId:0af7651916cd43dd8448eb211c80319c AND message:traced')).toEqual([
      'w3cupper',
    ]);
  });

  it('are stored in the integer columns only when in W3C form', async () => {
    const rows = await fixture.conn.runAndReadAll(
      "SELECT name, trace_id IS NULL, trace_hi IS NOT NULL, span_bits IS NOT NULL FROM logs WHERE name LIKE 'w3c%' ORDER BY name",
    );
    expect(rows.getRows()).toEqual([
      ['w3c', true, true, true],
      ['w3cupper', false, false, false],
    ]);
  });
});
