import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, api, type User } from '../api';

interface Props {
  /** The last session ended under the user (expired, key removed), as opposed to a first visit. */
  ended: boolean;
  onSignedIn(user: User): void;
}

/**
 * Shown instead of the explorer when the server has access control on and nobody is signed in.
 * The key goes to the server once and comes back as an HttpOnly cookie; the page never keeps it.
 */
export function SignIn({ ended, onSignedIn }: Props) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (key.trim() === '') {
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const s = await api.signIn(key.trim());
      if (s.user) return onSignedIn(s.user);
      setError('The server did not sign you in; retry.');
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : String(err));
      input.current?.select();
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="signin-page">
      <form class="signin" onSubmit={submit} data-testid="sign-in" aria-labelledby="signin-title">
        <div class="signin-brand">
          <img src="/favicon.svg" alt="" width="28" height="28" /> Sawmill
        </div>
        <h1 id="signin-title">Sign in</h1>
        {ended && (
          <p class="signin-notice" role="status" data-testid="session-ended">
            Your session ended; sign in again.
          </p>
        )}
        <label class="signin-label" for="signin-key">
          Access key
        </label>
        <input
          id="signin-key"
          ref={input}
          type="password"
          name="key"
          autocomplete="current-password"
          spellcheck={false}
          value={key}
          aria-invalid={error !== null}
          aria-describedby={error ? 'signin-error' : 'signin-hint'}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        {error && (
          <p class="form-error" id="signin-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint" id="signin-hint">
          Ask your Sawmill admin for a key (<code>sawmill keygen</code>).
        </p>
      </form>
    </div>
  );
}
