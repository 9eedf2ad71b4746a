import { useState } from 'preact/hooks';
import type { FieldSummary } from '../api';

interface Props {
  fields: FieldSummary[] | null;
  onFilter(field: string, value: unknown, mode: 'for' | 'out'): void;
}

/** Never interesting as a summary: unique per record. */
const HIDDEN = new Set(['id', 'timestamp']);

/**
 * Fields of the newest 500 matches, how many of them have each field, and each field's top
 * values; click a value to filter for it, ⊖ to filter it out.
 */
export function Sidebar({ fields, onFilter }: Props) {
  const [open, setOpen] = useState<Set<string>>(new Set(['level', 'resourceId']));
  const [filter, setFilter] = useState('');
  if (!fields) return <aside class="sidebar" aria-label="Fields" aria-busy="true" />;
  const shown = fields.filter(
    (f) => !HIDDEN.has(f.field) && f.field.toLowerCase().includes(filter.toLowerCase()),
  );
  const max = Math.max(1, ...fields.map((f) => f.count));

  const toggle = (name: string) => {
    const next = new Set(open);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setOpen(next);
  };

  return (
    <aside class="sidebar" aria-label="Fields">
      <input
        class="sidebar-filter"
        placeholder="Find a field"
        aria-label="Find a field"
        value={filter}
        onInput={(e) => setFilter(e.currentTarget.value)}
      />
      {shown.length === 0 && <p class="hint">No fields in the newest matches.</p>}
      <ul class="fields">
        {shown.map((f) => (
          <li key={f.field} class="field" data-field={f.field}>
            <button
              type="button"
              class="field-name"
              aria-expanded={open.has(f.field)}
              onClick={() => toggle(f.field)}
            >
              <span class="name">{f.field}</span>
              <span class="count" title={`${f.count} of the newest matches have this field`}>
                {f.count}
              </span>
            </button>
            {open.has(f.field) && (
              <ul class="top-values">
                {f.top.map((t) => {
                  const label = typeof t.value === 'string' ? t.value : JSON.stringify(t.value);
                  return (
                    <li key={label}>
                      <button
                        type="button"
                        class="top-value"
                        title={
                          t.value === ''
                            ? 'An empty value cannot be searched for'
                            : `Filter for ${f.field} = ${label}`
                        }
                        disabled={t.value === ''}
                        onClick={() => onFilter(f.field, t.value, 'for')}
                      >
                        <span class="bar" style={{ width: `${(100 * t.count) / max}%` }} aria-hidden="true" />
                        <span class="value-label">{label === '' ? '(empty)' : label}</span>
                        <span class="count">{t.count}</span>
                      </button>
                      <button
                        type="button"
                        class="icon"
                        title={`Filter out ${f.field} = ${label}`}
                        aria-label={`Filter out ${f.field} ${label}`}
                        disabled={t.value === ''}
                        onClick={() => onFilter(f.field, t.value, 'out')}
                      >
                        ⊖
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </aside>
  );
}
