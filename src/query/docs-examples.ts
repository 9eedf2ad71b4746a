import { readFileSync } from 'node:fs';
import { FIXTURE_NAMES } from './test-fixture.js';

const allBut = (...names: string[]) => FIXTURE_NAMES.filter((n) => !names.includes(n));

/**
 * Test support (not used at run time). Every line of every ```query block in
 * docs/query-language.md is an example: it must parse, compile and run against the fixture rows
 * (test-fixture.ts) and match exactly the rows listed here — in the dialect test
 * (docs-examples.test.ts) and in every store (test/store-conformance). An example added to the
 * page without an expectation fails, and so does an expectation whose example left the page.
 */
export const DOCS_EXPECTED: Record<string, readonly string[]> = {
  timeout: ['ids', 'timeout', 'upper'],
  'server-1234': ['ref'],
  '"Failed to connect"': ['ref', 'spaces'],
  'level:error': ['ref', 'refused', 'spaces', 'upper'],
  'level:WARNING': ['timeout', 'unicode'],
  'level:notice': ['notice'],
  'resourceId:server-1234': ['ref'],
  'message:"connect refused"': ['connect'],
  'metadata.parentResourceId:server-0987': ['ref'],
  'service.name:checkout': ['otel'],
  'http.status:504': ['timeout'],
  'ok:true': ['otel'],
  'id:1': ['ref'],
  'timestamp:"2023-09-15T08:00:00Z"': ['ref'],
  'user.name:"o\'brien"': ['nokeys'],
  'resourceId:server\\:1': [],
  'resourceId:server-12*': ['ref', 'timeout', 'timeouts'],
  'resourceId:server-?': ['connect', 'refused'],
  'message:conn*': ['connect', 'ref', 'refused', 'spaces'],
  'conn*': ['connect', 'ref', 'refused', 'spaces'],
  'message:/conn(ect|ection) refused/': ['connect', 'refused'],
  '/^timeout/i': ['ids', 'upper'],
  'resourceId:/^db-\\d+$/': ['upper'],
  'timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]': allBut('otel', 'spaces'),
  'timestamp:{2023-09-10T00:00:00Z TO 2023-09-11T00:00:00Z]': ['punct'],
  'timestamp:>=now-15m': [], // the fixture is from 2023
  'http.status:>=500': ['refused', 'timeout'],
  'http.status:[500 TO *]': ['refused', 'timeout'],
  'level:>=error': ['connect', 'ref', 'refused', 'spaces', 'upper'],
  'id:[2 TO 4]': ['timeout', 'timeouts', 'upper'],
  'commit:*': ['ref', 'spaces'],
  'level:error AND NOT resourceId:server-1234': ['refused', 'spaces', 'upper'],
  'level:error timeout': ['upper'],
  '(level:fatal OR level:warn) resourceId:server-9': ['connect'],
  'level:(fatal OR warn) -resourceId:server-9': ['timeout', 'unicode'],
  'level:error && !timeout': ['ref', 'refused', 'spaces'],
  '+level:error -connect': ['refused', 'upper'],
  '-resourceId:server-9': allBut('connect', 'refused'),
};

const doc = readFileSync(new URL('../../docs/query-language.md', import.meta.url), 'utf8');
export const DOCS_EXAMPLES: readonly string[] = [...doc.matchAll(/^```query\n([\s\S]*?)^```$/gm)].flatMap(
  (block) => block[1]!.split('\n').filter((line) => line.trim() !== ''),
);
