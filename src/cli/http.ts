/**
 * The CLI's HTTP client: base URL and token from flags/environment, server errors turned into
 * one readable line, 429/503 retried after the server's Retry-After.
 */
export interface ClientOptions {
  url: string;
  token?: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function headers(opts: ClientOptions, extra: Record<string, string> = {}): Record<string, string> {
  return opts.token ? { ...extra, authorization: `Bearer ${opts.token}` } : extra;
}

export async function request(opts: ClientOptions, path: string, init: RequestInit = {}): Promise<Response> {
  const url = new URL(path, opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
  try {
    return await fetch(url, {
      ...init,
      headers: headers(opts, (init.headers as Record<string, string>) ?? {}),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(`cannot reach Sawmill at ${opts.url} (${cause}) — is \`sawmill serve\` running?`);
  }
}

/** The server's `{"error":{...}}` as one line, with the query position when there is one. */
export async function errorOf(res: Response): Promise<CliError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new CliError(`${body.error.message} (${res.status} ${body.error.code})`);
  } catch {
    // not JSON: fall through to the raw text
  }
  return new CliError(`server answered ${res.status}: ${text.slice(0, 200)}`);
}

export async function getJson<T>(opts: ClientOptions, path: string): Promise<T> {
  const res = await request(opts, path);
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** Seconds to wait from a Retry-After header (default 1, capped at 60). */
export function retryAfterSeconds(res: Response): number {
  const n = Number(res.headers.get('retry-after'));
  return Number.isFinite(n) && n > 0 ? Math.min(n, 60) : 1;
}
