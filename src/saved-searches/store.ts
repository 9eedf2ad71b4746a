/**
 * Saved searches: a name plus the UI state that reproduces a search (query, time range, field
 * filters). The interface is what routes use, so a cluster deployment can keep them in PostgreSQL
 * while the embedded mode keeps them in a file in the data directory.
 */
export interface SavedSearchInput {
  name: string;
  /** Query-language text, as typed in the query bar (may be empty: everything). */
  query: string;
  /** Time range as the UI holds it: relative (`now-15m`) or absolute (RFC 3339); absent = all time. */
  from?: string;
  to?: string;
  /** Per-field filter inputs (field name → the text typed), composed with `query` by the UI. */
  filters?: Record<string, string>;
}

export interface SavedSearch extends SavedSearchInput {
  id: string;
  createdAt: string;
}

export interface SavedSearchStore {
  open(): Promise<void>;
  /** Newest first. */
  list(): Promise<SavedSearch[]>;
  get(id: string): Promise<SavedSearch | undefined>;
  create(input: SavedSearchInput): Promise<SavedSearch>;
  /** False when there was no such search. */
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** More than this is a runaway script, not a person: refuse instead of growing the file forever. */
export const MAX_SAVED_SEARCHES = 1000;

export class SavedSearchLimitError extends Error {}
