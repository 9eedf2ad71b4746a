import { useEffect, useRef, useState } from 'preact/hooks';
import { LEVELS } from '../api';
import { FILTERS } from '../query';

interface Props {
  filters: Record<string, string>;
  /** The filter whose clause the server rejected, with its message. */
  error: { source: string; message: string } | null;
  onApply(filters: Record<string, string>): void;
}

const LEVEL_CHOICES = [
  ...LEVELS.map((l) => ({ value: l, label: l })),
  { value: '>=warn', label: 'warn and worse' },
  { value: '>=error', label: 'error and worse' },
];

/**
 * One input per common field. Each filled input becomes a clause ANDed with the query bar (shown
 * as the effective query), so the sample searches can be made here without knowing the syntax.
 * Text inputs apply on Enter or with Apply (not on blur: moving from "From" to "To" must not run a
 * half-made range); the level list applies at once.
 */
export function FilterBar({ filters, error, onApply }: Props) {
  const [draft, setDraft] = useState(filters);
  // Applying unchanged filters would only rerun the same search.
  const applied = useRef(JSON.stringify(filled(filters)));
  useEffect(() => {
    setDraft(filters);
    applied.current = JSON.stringify(filled(filters));
  }, [filters]);

  const apply = (next: Record<string, string>) => {
    const clean = filled(next);
    const key = JSON.stringify(clean);
    if (key === applied.current) return;
    applied.current = key;
    onApply(clean);
  };
  const active = Object.keys(filters).length;
  const dirty = JSON.stringify(filled(draft)) !== JSON.stringify(filled(filters));

  return (
    <form
      class="filterbar"
      aria-label="Field filters"
      onSubmit={(e) => {
        e.preventDefault();
        apply(draft);
      }}
    >
      {FILTERS.map((def) =>
        def.key === 'level' ? (
          <label key={def.key} class="filter">
            <span>{def.label}</span>
            <select
              name="f.level"
              value={draft.level ?? ''}
              onChange={(e) => {
                const next = { ...draft, level: e.currentTarget.value };
                setDraft(next);
                apply(next);
              }}
            >
              <option value="">any</option>
              {LEVEL_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label key={def.key} class={`filter${error?.source === def.key ? ' has-error' : ''}`}>
            <span>{def.label}</span>
            <input
              name={`f.${def.key}`}
              value={draft[def.key] ?? ''}
              placeholder={def.placeholder}
              spellcheck={false}
              aria-invalid={error?.source === def.key ? 'true' : 'false'}
              title={error?.source === def.key ? error.message : undefined}
              onInput={(e) => setDraft({ ...draft, [def.key]: e.currentTarget.value })}
            />
          </label>
        ),
      )}
      {/* Enter in a text input submits the form; the button is for pointer users. */}
      <div class="filter-actions">
        <button type="submit" class={dirty ? 'primary' : undefined}>
          Apply
        </button>
        {active > 0 && (
          <button
            type="button"
            class="link"
            onClick={() => {
              setDraft({});
              onApply({});
            }}
          >
            Clear {active} filter{active === 1 ? '' : 's'}
          </button>
        )}
      </div>
      {error && (
        <p class="form-error filter-error" role="alert">
          {FILTERS.find((f) => f.key === error.source)?.label}: {error.message}
        </p>
      )}
    </form>
  );
}

/** The non-empty inputs in the bar's order, so equal filters compare equal as JSON. */
function filled(f: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of FILTERS) {
    const v = f[def.key];
    if (v !== undefined && v.trim() !== '') out[def.key] = v;
  }
  return out;
}
