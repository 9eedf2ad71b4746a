import { describe, expect, it } from 'vitest';
import { PartitionStatistics } from './statistics.js';

const day = (d: string) => Date.parse(`${d}T12:00:00Z`) * 1000;

describe('partition statistics', () => {
  it('asks for an ANALYZE of a partition once enough rows arrived, then as it grows by a fifth', () => {
    const stats = new PartitionStatistics();
    expect(stats.loaded([[day('2026-01-01'), 15_000]])).toEqual([]);
    const due = stats.loaded([
      [day('2026-01-01'), 5_000],
      [day('2026-01-02'), 100],
    ]);
    expect(due).toEqual(['sawmill_logs_p20260101']);
    stats.analysed('sawmill_logs_p20260101');
    // 20,000 rows at the last ANALYZE: the next is due after 20,000 more (the minimum), and
    // once the partition is large, after a fifth of its size.
    expect(stats.loaded([[day('2026-01-01'), 19_999]])).toEqual([]);
    expect(stats.loaded([[day('2026-01-01'), 1]])).toEqual(['sawmill_logs_p20260101']);
    stats.analysed('sawmill_logs_p20260101');
    stats.loaded([[day('2026-01-01'), 460_000]]);
    stats.analysed('sawmill_logs_p20260101');
    expect(stats.loaded([[day('2026-01-01'), 99_000]])).toEqual([]);
    expect(stats.loaded([[day('2026-01-01'), 1_000]])).toEqual(['sawmill_logs_p20260101']);
  });
});
