import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueryTable, type QueryTable } from '../../test/fixtures/query-table.js';

/**
 * Every ```query block in docs/query-language.md runs against the fixture table and must match
 * exactly the rows listed here. A new example without an expectation fails the suite.
 */
const EXPECTED: Record<string, string[]> = {
  timeout: ['ids', 'timeout', 'upper'],
  'server-1234': ['ref'],
  '"Failed to connect"': ['ref', 'spaces'],
  'level:error': ['ref', 'refused', 'spaces', 'upper'],
  'metadata.parentResourceId:server-0987': ['ref'],
  'service.name:checkout': ['otel'],
  'resourceId:server-12*': ['ref', 'timeout', 'timeouts'],
  'message:conn*': ['connect', 'ref', 'refused', 'spaces'],
  'message:/conn(ect|ection) refused/': ['connect', 'refused'],
  '/^timeout/i': ['ids', 'upper'],
  'timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]': [
    'connect', 'ids', 'nokeys', 'punct', 'ref', 'refused', 'timeout', 'timeouts', 'upper',
  ],
  'http.status:>=500': ['refused', 'timeout'],
  'level:>=error AND timestamp:>=2023-09-14T00:00:00Z': ['connect', 'ref', 'refused', 'spaces'],
  'commit:*': ['ref', 'spaces'],
  'level:error AND NOT resourceId:server-1234': ['refused', 'spaces', 'upper'],
  '(level:fatal OR level:warn) resourceId:server-9': ['connect'],
  'level:(fatal OR warn) -resourceId:server-9': ['timeout'],
};

const doc = readFileSync(new URL('../../docs/query-language.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```query\n([\s\S]*?)\n```/g)].map((m) => m[1]!.trim());

let table: QueryTable;
beforeAll(async () => {
  table = await openQueryTable();
});
afterAll(() => table.close());

describe('docs/query-language.md', () => {
  it('has examples, each with an expectation', () => {
    expect(examples.length).toBeGreaterThan(10);
    for (const q of examples) expect(EXPECTED, `no expectation for ${q}`).toHaveProperty([q]);
  });

  it.each(examples)('%s', async (q) => {
    expect(await table.match(q)).toEqual(EXPECTED[q]);
  });
});
