/** Small building blocks shared by the pages: loading and error states, fields, copy, confirm. */
import type { ReactNode, RefObject } from 'react';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from './api.ts';
import { formatSeconds } from './format.ts';
import { signInUrl } from './session.tsx';

// ------------------------------------------------------------------ data loading

export type Resource<T> =
  | { state: 'loading'; reload: () => void }
  | { state: 'error'; error: ApiError; reload: () => void }
  | { state: 'ok'; data: T; reload: () => void; refreshing: boolean };

/** Loads `load()` when `deps` change; `reload()` loads again (keeping the data shown meanwhile). */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<
    { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'ok'; data: T; refreshing: boolean }
  >({ state: 'loading' });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's
  useEffect(() => {
    let live = true;
    setState((s) => (s.state === 'ok' && tick > 0 ? { ...s, refreshing: true } : { state: 'loading' }));
    load().then(
      (data) => live && setState({ state: 'ok', data, refreshing: false }),
      (err: unknown) => live && setState({ state: 'error', error: asApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload } as Resource<T>;
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'client_error', err instanceof Error ? err.message : 'Unexpected error');
}

/** Renders the loading state, the error state (with retry for 5xx), or the data. */
export function Async<T>(props: { resource: Resource<T>; label: string; children: (data: T) => ReactNode }) {
  const r = props.resource;
  if (r.state === 'loading') return <Loading label={props.label} />;
  if (r.state === 'error') return <ErrorBox error={r.error} onRetry={r.reload} />;
  return <>{props.children(r.data)}</>;
}

export function Loading(props: { label: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {props.label}…
    </p>
  );
}

/** A 4xx shows the API's message (and field details); a 5xx or network failure offers a retry. */
export function ErrorBox(props: { error: ApiError | undefined; onRetry?: () => void }) {
  const e = props.error;
  if (!e) return null;
  return (
    <div className="alert alert-error" role="alert">
      <p>{e.message}</p>
      {e.details.length > 0 && (
        <ul>
          {e.details.map((d) => (
            <li key={`${d.path}:${d.message}`}>{d.path ? `${d.path}: ${d.message}` : d.message}</li>
          ))}
        </ul>
      )}
      {e.status === 401 && (
        <a
          className="btn btn-small btn-primary"
          href={signInUrl(window.location.pathname + window.location.search)}
        >
          Sign in again
        </a>
      )}
      {e.retryable && props.onRetry && (
        <button type="button" className="btn btn-small" onClick={props.onRetry}>
          Retry
        </button>
      )}
      {e.requestId && <p className="muted small">Request id: {e.requestId}</p>}
    </div>
  );
}

export function Notice(props: { children: ReactNode }) {
  return (
    <div className="alert alert-ok" role="status">
      {props.children}
    </div>
  );
}

// ------------------------------------------------------------------ actions

/** Runs one async action at a time, with its busy flag and its error. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (err) {
      setError(asApiError(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

// ------------------------------------------------------------------ forms

export function Field(props: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.hint ? hintId : '', props.error ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${props.error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, describedBy: describedBy || undefined, invalid: Boolean(props.error) })}
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p className="field-error" id={errorId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

// ------------------------------------------------------------------ copy

async function copyText(text: string, fallbackFrom: HTMLElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers or a denied permission: select the text so the user can copy it by hand.
    if (fallbackFrom) {
      const range = document.createRange();
      range.selectNodeContents(fallbackFrom);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
    }
    return false;
  }
}

/** A secret or command in a code box with a Copy button (and a live "Copied" message). */
export function CopyBox(props: { label: string; value: string; multiline?: boolean; testId?: string }) {
  const ref = useRef<HTMLElement>(null);
  const [status, setStatus] = useState('');
  const timer = useRef<number | undefined>(undefined);
  const copy = async () => {
    const ok = await copyText(props.value, ref.current);
    setStatus(ok ? 'Copied' : 'Selected: press Ctrl+C to copy');
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setStatus(''), 4000);
  };
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return (
    <div className="copybox">
      <div className="copybox-head">
        <span className="copybox-label">{props.label}</span>
        <button type="button" className="btn btn-small" onClick={copy} aria-label={`Copy ${props.label}`}>
          Copy
        </button>
        <span className="copy-status" aria-live="polite">
          {status}
        </span>
      </div>
      {props.multiline ? (
        <pre ref={ref as RefObject<HTMLPreElement>} data-testid={props.testId}>
          {props.value}
        </pre>
      ) : (
        <code ref={ref as RefObject<HTMLElement>} data-testid={props.testId} className="secret">
          {props.value}
        </code>
      )}
    </div>
  );
}

// ------------------------------------------------------------------ confirm

/**
 * A modal confirmation on the native <dialog> (focus is trapped, Escape cancels, focus returns to
 * the button that opened it). `ask()` resolves true when confirmed.
 */
export function useConfirm() {
  const ref = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState<{ title: string; body: string; action: string }>({
    title: '',
    body: '',
    action: '',
  });
  const resolver = useRef<((ok: boolean) => void) | undefined>(undefined);
  const ask = useCallback((title: string, body: string, action: string) => {
    setText({ title, body, action });
    return new Promise<boolean>((resolve) => {
      resolver.current = resolve;
      ref.current?.showModal();
    });
  }, []);
  const close = (ok: boolean) => {
    ref.current?.close();
    resolver.current?.(ok);
    resolver.current = undefined;
  };
  const titleId = useId();
  const dialog = (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        close(false);
      }}
    >
      <h2 id={titleId}>{text.title}</h2>
      <p>{text.body}</p>
      <div className="actions">
        <button type="button" className="btn" onClick={() => close(false)}>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={() => close(true)}>
          {text.action}
        </button>
      </div>
    </dialog>
  );
  return { ask, dialog };
}

// ------------------------------------------------------------------ formatting

export { formatSeconds };

/** Smallest limit first, unlimited last (the order a developer compares them in). */
export function sortTiers<T extends { requests: number | null; unitSeconds: number; name: string }>(
  tiers: T[],
): T[] {
  const rate = (t: T) => (t.requests === null ? Number.POSITIVE_INFINITY : t.requests / t.unitSeconds);
  return [...tiers].sort((a, b) => rate(a) - rate(b) || a.name.localeCompare(b.name));
}

/** The "Tier" field of a subscribe form: every tier with its limit, in the order given. */
export function TierField(props: {
  tiers: Array<{ name: string; requests: number | null; unitSeconds: number; burst?: number | null }>;
  value: string;
  onChange(name: string): void;
}) {
  return (
    <Field label="Tier">
      {({ id }) => (
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
          {props.tiers.map((t) => (
            <option key={t.name} value={t.name}>
              {tierOptionLabel(t)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** "Gold (5,000 requests per minute)", and just "Unlimited" rather than "Unlimited (Unlimited)". */
export function tierOptionLabel(t: { name: string; requests: number | null; unitSeconds: number }): string {
  const limit = formatTier(t);
  return limit === t.name ? t.name : `${t.name} (${limit})`;
}

export function formatTier(t: {
  requests: number | null;
  unitSeconds: number;
  burst?: number | null;
}): string {
  if (t.requests === null) return 'Unlimited';
  return `${t.requests.toLocaleString('en')} requests per ${formatUnit(t.unitSeconds)}`;
}

/** "minute", "10 minutes": the unit of a rate (per …). */
function formatUnit(s: number): string {
  const d = formatSeconds(s);
  return d.startsWith('1 ') ? d.slice(2) : d;
}

export function LifecycleBadge(props: { state: string }) {
  return <span className={`badge badge-${props.state.toLowerCase()}`}>{props.state}</span>;
}
