import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_EXPECTED as EXPECTED, DOCS_EXAMPLES as examples } from './docs-examples.js';
import { openQueryFixture, type QueryFixture } from './test-fixture.js';

let fixture: QueryFixture;
beforeAll(async () => {
  fixture = await openQueryFixture();
});
afterAll(() => fixture.close());

describe('docs/query-language.md', () => {
  it('has an expectation for every example and an example for every expectation', () => {
    expect(examples.length).toBeGreaterThan(20);
    expect([...examples].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(examples)('%s', async (query) => {
    expect(await fixture.match(query)).toEqual(EXPECTED[query]);
  });
});
