import type { RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, type FieldSummary, LEVELS } from '../api';
import { fieldName, quoteValue, tokenAt } from '../query';
import { queryHistory } from '../storage';

export interface SyntaxProblem {
  position: number;
  message: string;
}

interface Props {
  value: string;
  onInput(value: string): void;
  onRun(value: string): void;
  /** A syntax error the last run reported for the query bar's text. */
  runError: SyntaxProblem | null;
  /** The text of the last run: the run itself reports its errors, so it needs no separate check. */
  ranQuery: string;
  fields: FieldSummary[] | null;
  inputRef: RefObject<HTMLInputElement | null>;
}

interface Suggestion {
  kind: 'field' | 'value' | 'history';
  label: string;
  detail?: string;
  text: string;
  caret: number;
}

/** Fields every record can have, offered before the field summary has arrived. */
const BUILTIN_FIELDS = ['level', 'message', 'resourceId', 'traceId', 'spanId', 'commit', 'timestamp', 'id'];
const MAX_SUGGESTIONS = 8;
const VALIDATE_AFTER_MS = 250;

/**
 * The query bar: checks the syntax with the server as you type and marks the error's position,
 * suggests field names, their top values and recent queries; Enter runs, Esc closes the
 * suggestions and then clears.
 */
export function QueryBar({ value, onInput, onRun, runError, ranQuery, fields, inputRef }: Props) {
  const [caret, setCaret] = useState(value.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [checked, setChecked] = useState<{ text: string; problem: SyntaxProblem | null } | null>(null);
  const [scroll, setScroll] = useState(0);
  const boxRef = useRef<HTMLDivElement>(null);

  // Live syntax check: the server's parser is the only one, so the bar can never disagree with it.
  useEffect(() => {
    if (value.trim() === '' || value === ranQuery) {
      setChecked(null);
      return;
    }
    const ac = new AbortController();
    const timer = setTimeout(() => {
      api.validate(value, ac.signal).then(
        (v) =>
          setChecked({
            text: value,
            problem: v.valid
              ? null
              : { position: v.error?.details?.position ?? 0, message: v.error?.message ?? 'invalid query' },
          }),
        () => {}, // unreachable server: the search itself will say so
      );
    }, VALIDATE_AFTER_MS);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [value, ranQuery]);

  const problem = checked?.text === value ? checked.problem : value === ranQuery ? runError : null;

  const suggestions = useMemo(() => suggest(value, caret, fields), [value, caret, fields]);

  const accept = (s: Suggestion) => {
    onInput(s.text);
    setOpen(s.kind === 'field'); // after `field:` the values are next
    setActive(-1);
    requestAnimationFrame(() => {
      inputRef.current?.setSelectionRange(s.caret, s.caret);
      setCaret(s.caret);
    });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const shown = open && suggestions.length > 0;
    if (e.key === 'ArrowDown' && shown) {
      e.preventDefault();
      setActive((a) => (a + 1) % suggestions.length);
    } else if (e.key === 'ArrowDown') {
      setOpen(true);
    } else if (e.key === 'ArrowUp' && shown) {
      e.preventDefault();
      setActive((a) => (a <= 0 ? suggestions.length - 1 : a - 1));
    } else if (e.key === 'Tab' && shown && !e.shiftKey) {
      e.preventDefault();
      accept(suggestions[Math.max(active, 0)]!);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (shown && active >= 0) accept(suggestions[active]!);
      else {
        setOpen(false);
        onRun(value);
      }
    } else if (e.key === 'Escape') {
      e.preventDefault();
      if (shown) setOpen(false);
      else onInput('');
    }
  };

  const sync = () => {
    const el = inputRef.current;
    if (!el) return;
    setCaret(el.selectionStart ?? el.value.length);
    setScroll(el.scrollLeft);
  };

  return (
    <div class="querybar" ref={boxRef}>
      <div class={`querybar-field${problem ? ' has-error' : ''}`}>
        <input
          ref={inputRef}
          type="text"
          class="query-input"
          aria-label="Query"
          aria-invalid={problem ? 'true' : 'false'}
          aria-describedby={problem ? 'query-error' : undefined}
          placeholder='Search: level:error, "Failed to connect", resourceId:server-1234 …   ( / to focus )'
          spellcheck={false}
          autocomplete="off"
          value={value}
          onInput={(e) => {
            onInput(e.currentTarget.value);
            setOpen(true);
            setActive(-1);
            sync();
          }}
          onKeyDown={onKeyDown}
          onKeyUp={sync}
          onClick={sync}
          onScroll={sync}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
        />
        {problem && <ErrorMark text={value} position={problem.position} scroll={scroll} />}
      </div>
      {problem && (
        <div id="query-error" class="query-error" role="alert">
          {problem.message}{' '}
          <button
            type="button"
            class="link"
            onClick={() => {
              const el = inputRef.current;
              el?.focus();
              el?.setSelectionRange(problem.position, problem.position + 1);
            }}
          >
            Show me
          </button>
        </div>
      )}
      {open && suggestions.length > 0 && (
        <div class="suggestions" role="listbox" aria-label="Suggestions">
          {suggestions.map((s, i) => (
            <div
              key={`${s.kind}:${s.label}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              class={`suggestion ${s.kind}${i === active ? ' active' : ''}`}
              onMouseDown={(e) => {
                e.preventDefault(); // keep the focus in the input
                accept(s);
              }}
            >
              <span class="suggestion-kind">{s.kind === 'history' ? 'recent' : s.kind}</span>
              <span class="suggestion-label">{s.label}</span>
              {s.detail && <span class="suggestion-detail">{s.detail}</span>}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/**
 * A wavy underline under the character at `position`, drawn by a transparent copy of the text laid
 * over the input (same font and padding), scrolled along with it.
 */
function ErrorMark({ text, position, scroll }: { text: string; position: number; scroll: number }) {
  const at = Math.min(position, text.length);
  return (
    <div class="error-mark" aria-hidden="true" style={{ transform: `translateX(${-scroll}px)` }}>
      <span>{text.slice(0, at)}</span>
      <span class="error-char" data-position={at}>
        {text.slice(at, at + 1) || '\u00a0'}
      </span>
    </div>
  );
}

function suggest(q: string, caret: number, fields: FieldSummary[] | null): Suggestion[] {
  const tok = tokenAt(q, caret);
  const out: Suggestion[] = [];
  const replace = (insert: string) => {
    const text = q.slice(0, tok.start) + tok.sign + insert + q.slice(tok.end);
    return { text, caret: tok.start + tok.sign.length + insert.length };
  };
  if (tok.field !== null) {
    const summary = fields?.find((f) => f.field === tok.field);
    const values: Array<{ value: string; detail?: string }> =
      tok.field === 'level'
        ? LEVELS.map((l) => ({ value: l, detail: countOf(summary, l) }))
        : (summary?.top ?? []).map((t) => ({
            value: typeof t.value === 'string' ? t.value : JSON.stringify(t.value),
            detail: `${t.count}`,
          }));
    const prefix = tok.prefix.toLowerCase();
    for (const v of values) {
      if (!v.value.toLowerCase().startsWith(prefix)) continue;
      const insert = `${fieldName(tok.field)}:${quoteValue(v.value)}`;
      out.push({ kind: 'value', label: v.value, detail: v.detail, ...replace(`${insert} `) });
    }
  } else if (tok.prefix !== '' || q.trim() !== '') {
    const names = new Set([...BUILTIN_FIELDS, ...(fields ?? []).map((f) => f.field)]);
    const prefix = tok.prefix.toLowerCase();
    if (prefix !== '') {
      for (const name of names) {
        if (!name.toLowerCase().startsWith(prefix) || name.toLowerCase() === prefix) continue;
        const count = fields?.find((f) => f.field === name)?.count;
        out.push({
          kind: 'field',
          label: `${name}:`,
          detail: count === undefined ? undefined : `in ${count}`,
          ...replace(`${fieldName(name)}:`),
        });
      }
    }
  }
  const needle = q.trim().toLowerCase();
  for (const h of queryHistory()) {
    if (out.length >= MAX_SUGGESTIONS) break;
    if (h === q.trim() || (needle && !h.toLowerCase().includes(needle))) continue;
    out.push({ kind: 'history', label: h, text: h, caret: h.length });
  }
  return out.slice(0, MAX_SUGGESTIONS);
}

function countOf(summary: FieldSummary | undefined, value: string): string | undefined {
  const c = summary?.top.find((t) => t.value === value)?.count;
  return c === undefined ? undefined : String(c);
}
