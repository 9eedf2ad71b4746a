import { useState } from 'preact/hooks';
import { api, type Scope } from '../api';

/** Downloads every match of the current search (not just the loaded rows), streamed by the server. */
export function ExportMenu({ scope }: { scope: Scope | null }) {
  const [open, setOpen] = useState(false);
  return (
    <div class="export">
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={!scope}
        onClick={() => setOpen(!open)}
      >
        Export
      </button>
      {open && scope && (
        <div class="popover export-popover" role="menu">
          <a
            role="menuitem"
            href={api.exportUrl(scope, 'ndjson')}
            download="sawmill-export.ndjson"
            onClick={() => setOpen(false)}
          >
            NDJSON (every field)
          </a>
          <a
            role="menuitem"
            href={api.exportUrl(scope, 'csv')}
            download="sawmill-export.csv"
            onClick={() => setOpen(false)}
          >
            CSV (spreadsheets)
          </a>
          <p class="hint">All matches of the current query and time range, newest first.</p>
        </div>
      )}
    </div>
  );
}
