import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, type SavedSearch } from '../api';
import { copyText } from '../storage';
import { describeRange } from '../time';

interface Props {
  /** The current search, as a saved search would hold it. */
  current: Omit<SavedSearch, 'id' | 'createdAt' | 'name'>;
  onOpen(s: SavedSearch): void;
  /** The signed-in role may save and delete (permission `save`); listing needs only `read`. */
  canSave: boolean;
  role?: string;
}

/** Saved searches kept by the server: save the current one, open, share a link, delete. */
export function SavedSearches({ current, onOpen, canSave, role }: Props) {
  const [open, setOpen] = useState(false);
  const [list, setList] = useState<SavedSearch[] | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const refresh = () =>
    api.savedList().then(
      (r) => setList(r.searches),
      (err: ApiFailure) => setError(`Could not list saved searches: ${err.message}`),
    );

  useEffect(() => {
    if (open) void refresh();
  }, [open]);

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.savedCreate({ ...current, name: name.trim() });
      setName('');
      await refresh();
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : String(err));
    }
  };

  const share = async (s: SavedSearch) => {
    const ok = await copyText(`${location.origin}/?saved=${encodeURIComponent(s.id)}`);
    setCopied(ok ? s.id : null);
    setTimeout(() => setCopied(null), 1500);
  };

  return (
    <div class="saved">
      <button type="button" aria-haspopup="dialog" aria-expanded={open} onClick={() => setOpen(!open)}>
        Saved
      </button>
      {open && (
        <div class="popover saved-popover" role="dialog" aria-label="Saved searches">
          {canSave ? (
            <form class="save-form" onSubmit={save}>
              <input
                name="saved-name"
                placeholder="Name this search"
                aria-label="Name for the current search"
                value={name}
                maxLength={200}
                onInput={(e) => setName(e.currentTarget.value)}
              />
              <button type="submit" class="primary" disabled={name.trim() === ''}>
                Save current
              </button>
            </form>
          ) : (
            <p class="hint" data-testid="saved-read-only">
              Your role{role ? ` (${role})` : ''} can open saved searches but not save or delete them.
            </p>
          )}
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          {list === null ? (
            <p class="hint">Loading…</p>
          ) : list.length === 0 ? (
            <p class="hint">
              No saved searches yet.{canSave ? ' Name the current search above to keep it for everyone.' : ''}
            </p>
          ) : (
            <ul class="saved-list">
              {list.map((s) => (
                <li key={s.id} data-id={s.id}>
                  <button
                    type="button"
                    class="saved-open"
                    onClick={() => {
                      setOpen(false);
                      onOpen(s);
                    }}
                  >
                    <span class="saved-name">{s.name}</span>
                    <span class="saved-query">
                      {s.query || '(everything)'}
                      {s.filters ? ` + ${Object.keys(s.filters).length} filter(s)` : ''} ·{' '}
                      {describeRange({ from: s.from ?? '', to: s.to ?? '' })}
                    </span>
                  </button>
                  <button
                    type="button"
                    class="link-button"
                    title="Copy a link to this search"
                    onClick={() => share(s)}
                  >
                    {copied === s.id ? 'Copied ✓' : 'Copy link'}
                  </button>
                  {canSave && (
                    <button
                      type="button"
                      class="icon"
                      title="Delete"
                      aria-label={`Delete ${s.name}`}
                      onClick={async () => {
                        await api.savedDelete(s.id).catch((err: ApiFailure) => setError(err.message));
                        await refresh();
                      }}
                    >
                      Delete
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
