/**
 * Calls to the gateway's operator API with the session cookie (sent by the browser, never readable
 * here). Requests that change state carry the CSRF header the gateway requires with the cookie.
 */
import { language } from './i18n.js';
import { signal } from './signal.js';

export const CSRF_HEADER = 'X-Passerelle-CSRF';

/** Set when the gateway says the session is gone (401): the app shows the login page. */
export const sessionEnded = signal(false);

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string) {
    super(message);
  }
}

interface Outcome {
  resourceType?: string;
  issue?: Array<{ diagnostics?: string; details?: { text?: string; coding?: Array<{ code?: string }> } }>;
}

/** A JSON call; throws ApiError with the OperationOutcome's text when the answer is not 2xx. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': language.get() };
  if (method !== 'GET') headers[CSRF_HEADER] = '1';
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : {};
  if (!res.ok) {
    const issue = (body as Outcome).issue?.[0];
    if (res.status === 401 && !path.startsWith('/console/session')) sessionEnded.set(true);
    throw new ApiError(res.status, issue?.details?.text ?? issue?.diagnostics ?? `HTTP ${res.status}`, issue?.details?.coding?.[0]?.code);
  }
  return body as T;
}

/** A query string from the filters that are set. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
