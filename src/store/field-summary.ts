import type { OutputRecord } from '../model/record.js';
import type { FieldSummary } from './store.js';

/** Values longer than this are counted for presence but not listed as top values. */
const MAX_VALUE_CHARS = 200;

/**
 * Field names (dotted paths for nested objects) with presence counts and top values over a
 * sample of records — the field sidebar of Discover. Computed on the newest matching records
 * rather than the whole range, so its cost does not grow with the data.
 */
export function summariseFields(records: OutputRecord[], top: number): FieldSummary[] {
  const fields = new Map<string, { count: number; values: Map<string, number> }>();
  const visit = (path: string, value: unknown, depth: number): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 8) {
      for (const [k, v] of Object.entries(value)) visit(path ? `${path}.${k}` : k, v, depth + 1);
      return;
    }
    let f = fields.get(path);
    if (!f) {
      f = { count: 0, values: new Map() };
      fields.set(path, f);
    }
    f.count++;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (path !== 'id' && path !== 'timestamp' && text.length <= MAX_VALUE_CHARS) {
      f.values.set(text, (f.values.get(text) ?? 0) + 1);
    }
  };
  for (const r of records) visit('', r, 0);
  return [...fields.entries()]
    .map(([field, f]) => ({
      field,
      count: f.count,
      top: [...f.values.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, top)
        .map(([value, count]) => ({ value, count })),
    }))
    .sort((a, b) => b.count - a.count || (a.field < b.field ? -1 : 1));
}
