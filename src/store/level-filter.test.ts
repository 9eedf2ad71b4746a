import { describe, expect, it } from 'vitest';
import { parseQuery } from '../query/parse.js';
import { rollupLevels } from './level-filter.js';

describe('which queries the rollup can count by level', () => {
  it.each([
    ['*', ['trace', 'debug', 'info', 'warn', 'error', 'fatal']],
    ['timestamp:>=2024-01-01T00:00:00Z', ['trace', 'debug', 'info', 'warn', 'error', 'fatal']],
    ['level:error', ['error']],
    ['level:ERR', ['error']],
    ['level:warning', ['warn']],
    ['level:>=warn', ['warn', 'error', 'fatal']],
    ['-level:debug', ['trace', 'info', 'warn', 'error', 'fatal']],
    ['level:(fatal OR warn) timestamp:<2025-01-01T00:00:00Z', ['warn', 'fatal']],
    ['level:error AND level:info', []],
    ['level:info', ['info']],
  ])('%s → %j', (query, levels) => {
    expect(rollupLevels(parseQuery(query))).toEqual(levels);
  });

  it.each([
    'level:notice', // also reads originalLevel
    'level:err*',
    'level:/err/',
    'timeout',
    'level:error timeout',
    'level:error OR resourceId:x',
    'level:error OR timestamp:>=2024-01-01T00:00:00Z', // time under OR: not a bound of the range
    '-(level:error AND timestamp:>=2024-01-01T00:00:00Z)',
  ])('%s → not from the rollup', (query) => {
    expect(rollupLevels(parseQuery(query))).toBeNull();
  });
});
