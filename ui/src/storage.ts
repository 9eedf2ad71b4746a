/** localStorage that never throws (private modes, quotas, disabled storage): the UI works without it. */
export function load<T>(key: string, fallback: T): T {
  try {
    const text = localStorage.getItem(key);
    return text === null ? fallback : (JSON.parse(text) as T);
  } catch {
    return fallback;
  }
}

export function save(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Not persisted; the current session still has the value in memory.
  }
}

const HISTORY_KEY = 'sawmill.history';
const HISTORY_MAX = 30;

export function queryHistory(): string[] {
  const h = load<unknown>(HISTORY_KEY, []);
  return Array.isArray(h) ? h.filter((x): x is string => typeof x === 'string') : [];
}

export function rememberQuery(q: string): void {
  const t = q.trim();
  if (!t) return;
  save(HISTORY_KEY, [t, ...queryHistory().filter((x) => x !== t)].slice(0, HISTORY_MAX));
}

export type Theme = 'light' | 'dark';

export function initialTheme(): Theme {
  const saved = load<string | null>('sawmill.theme', null);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
  save('sawmill.theme', t);
}

/** Copies text; falls back to a selected textarea where the async clipboard is unavailable. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text; // a form value, never markup
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}
