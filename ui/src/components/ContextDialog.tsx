import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, api, type ContextReply, type LogRecord } from '../api';
import { formatTs } from '../time';
import { Highlight } from './Highlight';

interface Props {
  id: string;
  pattern: RegExp | null;
  onClose(): void;
  /** Make another record the centre of the context. */
  onRecenter(id: string): void;
}

const SIZES = [10, 25, 50, 100];

/**
 * The records just before and after one record, across every query: what happened around an
 * error. The anchor is marked and scrolled into view.
 */
export function ContextDialog({ id, pattern, onClose, onRecenter }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const anchorRef = useRef<HTMLLIElement>(null);
  const [n, setN] = useState(SIZES[0]!);
  const [data, setData] = useState<ContextReply | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    api.context(id, n, ac.signal).then(setData, (err) => {
      if (!ac.signal.aborted)
        setError(err instanceof ApiFailure ? err : new ApiFailure('internal', String(err), 0));
    });
    return () => ac.abort();
  }, [id, n]);

  useEffect(() => {
    anchorRef.current?.scrollIntoView({ block: 'center' });
  }, [data]);

  const line = (r: LogRecord, anchor: boolean) => (
    <li
      key={r.id}
      ref={anchor ? anchorRef : undefined}
      class={`context-row${anchor ? ' anchor' : ''}`}
      data-id={r.id}
    >
      <span class="ts">{formatTs(r.timestamp)}</span>
      <span class={`level level-${r.level}`}>{r.level}</span>
      <span class="resource">{r.resourceId ?? ''}</span>
      <span class="message">{anchor ? <Highlight text={r.message} pattern={pattern} /> : r.message}</span>
      {!anchor && (
        <button type="button" class="icon" title="Centre on this record" onClick={() => onRecenter(r.id)}>
          centre
        </button>
      )}
    </li>
  );

  return (
    <dialog ref={dialog} class="context-dialog" aria-label="Surrounding records" onClose={onClose}>
      <header>
        <h2>Surrounding records</h2>
        <label>
          Show{' '}
          <select value={n} onChange={(e) => setN(Number(e.currentTarget.value))}>
            {SIZES.map((s) => (
              <option key={s} value={s}>
                {s} before and after
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => dialog.current?.close()} aria-label="Close">
          ✕
        </button>
      </header>
      {error ? (
        <p class="state error" role="alert">
          {error.code === 'not_found'
            ? 'This record no longer exists (retention may have removed it).'
            : `Could not load the context: ${error.message}`}
        </p>
      ) : !data ? (
        <p class="state loading">Loading…</p>
      ) : (
        <ol class="context-list">
          {data.before.length === 0 && <li class="hint">Nothing earlier: this is the oldest record.</li>}
          {data.before.map((r) => line(r, false))}
          {line(data.anchor, true)}
          {data.after.map((r) => line(r, false))}
          {data.after.length === 0 && <li class="hint">Nothing later yet.</li>}
        </ol>
      )}
    </dialog>
  );
}
