import { describe, expect, it } from 'vitest';
import { loadConfig, parseRoles } from '../../src/config.js';

const urls = {
  SAWMILL_STORE: 'postgres://postgres@127.0.0.1:5432/sawmill',
  SAWMILL_BUFFER: 'amqp://guest:guest@127.0.0.1:5672',
  SAWMILL_CACHE: 'redis://127.0.0.1:6379',
};

describe('cluster configuration', () => {
  it('is embedded mode when no role and no cluster service is named', () => {
    expect(loadConfig({}, {}).cluster).toBeUndefined();
    expect(loadConfig({ role: 'all' }, {}).cluster).toBeUndefined();
  });

  it('takes roles and services from flags or the environment, flags first', () => {
    const c = loadConfig({ role: 'worker' }, { ...urls, SAWMILL_ROLE: 'ingest' }).cluster!;
    expect(c.roles).toEqual(['worker']);
    expect(c.storeUrl).toBe(urls.SAWMILL_STORE);
    expect(c.name).toBe('sawmill');
    expect(loadConfig({}, { ...urls, SAWMILL_CLUSTER_NAME: 'eu-1' }).cluster).toMatchObject({
      roles: ['ingest', 'worker', 'query'],
      name: 'eu-1',
    });
    expect(loadConfig({ store: 'postgresql://x/y' }, { ...urls }).cluster?.storeUrl).toBe('postgresql://x/y');
  });

  it('refuses a half-configured node, naming what is missing', () => {
    expect(() => loadConfig({ role: 'query' }, {})).toThrow(
      /needs SAWMILL_STORE .*SAWMILL_BUFFER .*SAWMILL_CACHE/,
    );
    expect(() => loadConfig({}, { SAWMILL_STORE: urls.SAWMILL_STORE })).toThrow(
      /needs SAWMILL_BUFFER \/ --buffer \(amqp:\/\/…\), SAWMILL_CACHE/,
    );
    expect(() => loadConfig({}, { ...urls, SAWMILL_BUFFER: 'http://rabbit' })).toThrow(/SAWMILL_BUFFER/);
    expect(() => loadConfig({}, { ...urls, SAWMILL_CLUSTER_NAME: 'a b' })).toThrow(/SAWMILL_CLUSTER_NAME/);
  });

  it('parses role lists', () => {
    expect(parseRoles('query,ingest')).toEqual(['ingest', 'query']);
    expect(parseRoles('all')).toEqual(['ingest', 'worker', 'query']);
    expect(() => parseRoles('ingest,reader')).toThrow(/invalid role "reader"/);
  });
});
