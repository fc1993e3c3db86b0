/**
 * The portal's only backend: the store's REST API, same origin, with the session cookie.
 * Writes echo the session's CSRF token (x-csrf-token), read once from GET /api/v1/me.
 * Every failure becomes an ApiError carrying the API's own message (4xx) or a generic one (5xx,
 * network), so pages can show the message or offer a retry.
 */
import type { Me, PortalConfig } from './types.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly details: { path: string; message: string }[];

  constructor(
    status: number,
    code: string,
    message: string,
    requestId?: string,
    details: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }

  /** Worth retrying: the server or the network failed, not the request. */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

let csrfToken: string | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Cannot reach the portal server. Check your connection.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) throw toError(res.status, data, retryAfterSeconds(res.headers.get('retry-after')));
  return data as T;
}

/** Retry-After as seconds (a number or an HTTP date), undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function toError(status: number, data: unknown, retryAfter?: number): ApiError {
  const e = (data as { error?: unknown } | undefined)?.error;
  const err =
    e && typeof e === 'object'
      ? (e as { code?: string; message?: string; requestId?: string; details?: unknown })
      : undefined;
  const details = Array.isArray(err?.details)
    ? (err.details as { path?: unknown; message?: unknown }[])
        .filter((d) => typeof d?.message === 'string')
        .map((d) => ({ path: String(d.path ?? ''), message: String(d.message) }))
    : [];
  if (status >= 500) {
    const message =
      status === 503
        ? retryAfter !== undefined
          ? `The service is temporarily unavailable, try again in ${retryAfter} s.`
          : 'The service is temporarily unavailable. Try again in a moment.'
        : 'Something went wrong on our side. Try again.';
    return new ApiError(status, err?.code ?? 'server_error', message, err?.requestId);
  }
  if (status === 401) {
    return new ApiError(
      401,
      err?.code ?? 'unauthorized',
      'Your session has ended. Sign in again to continue.',
    );
  }
  return new ApiError(
    status,
    err?.code ?? 'error',
    err?.message ?? `The request failed (HTTP ${status}).`,
    err?.requestId,
    details,
  );
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: (path: string) => request<void>('DELETE', path),
};

/** undefined when nobody is signed in (401). */
export async function loadMe(): Promise<Me | undefined> {
  try {
    const me = await api.get<Me>('/api/v1/me');
    setCsrfToken(me.csrfToken);
    return me;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}

export async function loadConfig(): Promise<PortalConfig> {
  return api.get<PortalConfig>('/portal-config.json');
}

export const enc = encodeURIComponent;
