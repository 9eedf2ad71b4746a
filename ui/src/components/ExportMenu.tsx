import { useState } from 'preact/hooks';
import { api, type Scope } from '../api';

/** Downloads every match of the current search (not just the loaded rows), streamed by the server. */
export function ExportMenu({ scope }: { scope: Scope | null }) {
  const [open, setOpen] = useState(false);
  // A download cannot show a 401: with an ended session the browser would save the error as the
  // file. So the session is checked first, and the link followed only while it holds.
  const download = (e: MouseEvent) => {
    e.preventDefault();
    setOpen(false);
    const link = e.currentTarget as HTMLAnchorElement;
    void api.sessionHolds().then((holds) => {
      if (!holds) return;
      const a = document.createElement('a');
      a.href = link.href;
      a.download = link.download;
      a.click();
    });
  };
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
            onClick={download}
          >
            NDJSON (every field)
          </a>
          <a
            role="menuitem"
            href={api.exportUrl(scope, 'csv')}
            download="sawmill-export.csv"
            onClick={download}
          >
            CSV (spreadsheets)
          </a>
          <p class="hint">All matches of the current query and time range, newest first.</p>
        </div>
      )}
    </div>
  );
}
