import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, onSessionEnded, type SavedSearch, type Scope, type Session, type User } from './api';
import { ContextDialog } from './components/ContextDialog';
import { ExportMenu } from './components/ExportMenu';
import { FilterBar } from './components/FilterBar';
import { Histogram } from './components/Histogram';
import { QueryBar, type SyntaxProblem } from './components/QueryBar';
import { Results } from './components/Results';
import { SavedSearches } from './components/SavedSearches';
import { Sidebar } from './components/Sidebar';
import { SignIn } from './components/SignIn';
import { EmptyState, ErrorState } from './components/States';
import { StatusLine } from './components/StatusLine';
import { TimePicker } from './components/TimePicker';
import { addClause, clauseFor, composeQuery, highlightPattern, locateError } from './query';
import { useSearch } from './search';
import { readUrl, type ViewState, writeUrl } from './state';
import { applyTheme, initialTheme, rememberQuery, type Theme } from './storage';
import { useLiveTail } from './tail';
import { ALL_TIME, isoMs, isRelative, resolveRange } from './time';

const stripPosition = (m: string) => m.replace(/\s*at position \d+$/, '');

/**
 * Asks the server who is signed in before anything else. With access control off (or a server
 * that cannot say), the explorer as always; with it on, the sign-in screen until a key is given,
 * and again whenever an API call answers 401. The URL is never touched, so the search it holds
 * is shown after signing in.
 */
export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [ended, setEnded] = useState(false);

  useEffect(() => {
    onSessionEnded(() => {
      setEnded(true);
      setSession({ accessControl: true, user: null });
    });
    api.session().then(setSession, () => setSession({ accessControl: false, user: null }));
  }, []);

  if (session === null) return null; // one quick request; the themed background meanwhile
  if (session.accessControl && !session.user) {
    return (
      <SignIn
        ended={ended}
        onSignedIn={(user) => {
          setEnded(false);
          setSession({ accessControl: true, user });
        }}
      />
    );
  }
  const signOut = () =>
    api
      .signOut()
      .catch(() => undefined)
      .then(() => {
        setEnded(false);
        setSession({ accessControl: true, user: null });
      });
  return <Explorer user={session.user} onSignOut={signOut} />;
}

interface ExplorerProps {
  /** Who is signed in; null when access control is off. */
  user: User | null;
  onSignOut(): void;
}

function Explorer({ user, onSignOut }: ExplorerProps) {
  const canSave = !user || user.permissions.includes('save');
  const [view, setView] = useState<ViewState>(() => readUrl());
  const [draft, setDraft] = useState(view.q);
  const [nonce, setNonce] = useState(0);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const { results, run, loadMore, prepend } = useSearch();
  const queryInput = useRef<HTMLInputElement>(null);
  const scrollRef = useRef<HTMLElement | null>(null);

  const composed = useMemo(() => composeQuery(view.q, view.filters), [view.q, view.filters]);
  const pattern = useMemo(() => highlightPattern(composed.text), [composed.text]);

  /** A new search: into the URL (a history entry) and run, re-evaluating relative times. */
  const go = useCallback((next: ViewState, mode: 'push' | 'replace' = 'push') => {
    writeUrl(next, mode);
    setView(next);
    setDraft(next.q);
    setNonce((n) => n + 1);
  }, []);

  /** A detail of the same search (expanded row, context): the URL changes, nothing reruns. */
  const detail = useCallback((next: ViewState) => {
    writeUrl(next, 'replace');
    setView(next);
  }, []);

  // Run whenever a search is made; the range is resolved now so every request of this run agrees.
  useEffect(() => {
    const { fromMs, toMs } = resolveRange(view.range);
    const scope: Scope = { q: composed.text };
    if (fromMs !== undefined) scope.from = isoMs(fromMs);
    if (toMs !== undefined) scope.to = isoMs(toMs);
    run(scope);
    scrollRef.current?.scrollTo({ top: 0 });
  }, [nonce]);

  // Back/forward restore the search they point at; a `?saved=` link is replaced by what it holds.
  useEffect(() => {
    const onPop = () => {
      const s = readUrl();
      setView(s);
      setDraft(s.q);
      setNonce((n) => n + 1);
    };
    addEventListener('popstate', onPop);
    const saved = readUrl().saved;
    if (saved) {
      api.savedGet(saved).then(
        (s) => openSaved(s, 'replace'),
        () => go({ ...readUrl(), sel: null }, 'replace'),
      );
    }
    return () => removeEventListener('popstate', onPop);
  }, []);

  const openSaved = (s: SavedSearch, mode: 'push' | 'replace' = 'push') =>
    go(
      {
        q: s.query,
        range: { from: s.from ?? '', to: s.to ?? '' },
        filters: s.filters ?? {},
        sel: null,
        ctx: null,
        live: false,
      },
      mode,
    );

  // `/` focuses the query bar from anywhere but another text field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t.closest('input, textarea, select, [contenteditable]')) return;
      e.preventDefault();
      queryInput.current?.focus();
      queryInput.current?.select();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const tail = useLiveTail(view.live, composed.text, prepend, (top) => scrollRef.current?.scrollTo({ top }));

  // ── errors: a syntax error is shown where it is, in the bar or in the filter it came from ──
  const syntax = results.error?.code === 'query_syntax' ? results.error : null;
  const located = syntax ? locateError(composed, syntax.details?.position ?? 0) : null;
  const barError: SyntaxProblem | null =
    located?.source === 'q' && syntax
      ? { position: located.position, message: stripPosition(syntax.message) }
      : null;
  const filterError =
    located && located.source !== 'q' && syntax
      ? { source: located.source, message: stripPosition(syntax.message) }
      : null;

  const runQuery = (q: string) => {
    rememberQuery(q);
    go({ ...view, q, sel: null, ctx: null });
  };
  const filter = (field: string, value: unknown, mode: 'for' | 'out') => {
    const clause = clauseFor(field, value);
    if (!clause) return; // an empty string cannot be searched for; its buttons are not shown
    const q = addClause(view.q, clause, mode);
    rememberQuery(q);
    go({ ...view, q, ctx: null });
  };
  const zoom = (fromMs: number, toMs: number) =>
    go({ ...view, range: { from: isoMs(fromMs), to: isoMs(toMs) }, sel: null });

  const toggleTheme = () => {
    const t = theme === 'dark' ? 'light' : 'dark';
    applyTheme(t);
    setTheme(t);
  };

  const filtered = Object.keys(view.filters).length > 0;
  const showEmpty = !results.loading && !results.error && results.rows.length === 0 && results.scope !== null;

  return (
    <div class="app">
      <header class="topbar">
        <a class="brand" href="/" title="Sawmill: a new search">
          <img src="/favicon.svg" alt="" width="22" height="22" /> Sawmill
        </a>
        <QueryBar
          value={draft}
          onInput={setDraft}
          onRun={runQuery}
          runError={barError}
          ranQuery={view.q}
          fields={results.fields}
          inputRef={queryInput}
        />
        <TimePicker range={view.range} onChange={(range) => go({ ...view, range, sel: null })} />
        <button type="button" class="primary" onClick={() => runQuery(draft)} title="Run (Enter)">
          {isRelative(view.range) ? 'Refresh' : 'Search'}
        </button>
        <button
          type="button"
          class={`live-toggle${view.live ? ' on' : ''}`}
          aria-pressed={view.live}
          onClick={() => detail({ ...view, live: !view.live })}
          title="Live tail: new matching records appear as they arrive"
        >
          <span class={`dot ${tail.status}`} aria-hidden="true" /> Live
        </button>
        <ExportMenu scope={results.scope} />
        <SavedSearches
          current={{
            query: view.q,
            from: view.range.from || undefined,
            to: view.range.to || undefined,
            filters: filtered ? view.filters : undefined,
          }}
          onOpen={(s) => openSaved(s)}
          canSave={canSave}
          role={user?.role}
        />
        <button
          type="button"
          class="theme-toggle"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
        {user && <UserBadge user={user} onSignOut={onSignOut} />}
      </header>
      <FilterBar
        filters={view.filters}
        error={filterError}
        onApply={(filters) => go({ ...view, filters, sel: null })}
      />
      <div class="layout">
        <Sidebar fields={results.fields} onFilter={filter} />
        <main class="main">
          <Histogram data={results.histogram} loading={results.loading} theme={theme} onZoom={zoom} />
          <StatusLine
            results={results}
            range={view.range}
            query={filtered || view.q ? composed.text : null}
            live={view.live ? tail : null}
          />
          <div class="results-area">
            {view.live && tail.pendingCount > 0 && (
              <button type="button" class="new-records" onClick={tail.resume}>
                {tail.pendingCount} new record{tail.pendingCount === 1 ? '' : 's'} · resume live
              </button>
            )}
            {results.error ? (
              <ErrorState error={results.error} onRetry={() => setNonce((n) => n + 1)} />
            ) : showEmpty ? (
              <EmptyState
                everything={!view.q && !filtered && !view.range.from && !view.range.to}
                range={view.range}
                filtered={filtered}
                hasQuery={view.q !== ''}
                onAllTime={() => go({ ...view, range: ALL_TIME })}
                onClearFilters={() => go({ ...view, filters: {} })}
                onClearQuery={() => go({ ...view, q: '' })}
              />
            ) : (
              <Results
                rows={results.rows}
                hasMore={results.next !== null}
                loadingMore={results.loadingMore}
                dataAt={results.dataAt}
                pattern={pattern}
                selected={view.sel}
                onSelect={(sel) => detail({ ...view, sel })}
                onLoadMore={loadMore}
                onFilter={filter}
                onContext={(ctx) => detail({ ...view, ctx })}
                onScrolledAway={tail.setAway}
                scrollRef={scrollRef}
              />
            )}
          </div>
        </main>
      </div>
      {view.ctx && (
        <ContextDialog
          key={view.ctx}
          id={view.ctx}
          pattern={pattern}
          onClose={() => detail({ ...view, ctx: null })}
          onRecenter={(ctx) => detail({ ...view, ctx })}
        />
      )}
    </div>
  );
}

/** Who is signed in, their role, and what the role's filter limits them to. */
function UserBadge({ user, onSignOut }: { user: User; onSignOut(): void }) {
  return (
    <div class="user-badge" data-testid="user-badge">
      <div
        class="user-who"
        title={`Signed in as ${user.name}, role ${user.role}: ${user.permissions.join(', ')}${
          user.filter ? `\nSees only records matching ${user.filter}` : ''
        }`}
      >
        <span class="user-name">
          {user.name} · {user.role}
        </span>
        {user.filter && (
          <span class="user-filter" data-testid="user-filter">
            sees: <code>{user.filter}</code>
          </span>
        )}
      </div>
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </div>
  );
}
