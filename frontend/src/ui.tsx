// Shared pieces: data hooks with loading and error states, and small
// accessible components.
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, gql, subscribe } from './api';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Runs a query when its variables change; reload() runs it again. */
export function useQuery<T = any>(query: string, variables: Record<string, unknown> = {}, skip = false): Loaded<T> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({
    data: null,
    error: null,
    loading: !skip,
  });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (skip) return;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    gql<T>(query, JSON.parse(key)).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e) => live && setState({ data: null, error: toApiError(e), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [query, key, n, skip]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}

/** Follows a subscription while mounted; the latest data and error. */
export function useSubscription<T>(query: string, variables: Record<string, unknown>, enabled = true) {
  const key = JSON.stringify(variables);
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [updates, setUpdates] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    setError(null);
    return subscribe<T>(
      query,
      JSON.parse(key),
      (d) => {
        setData(d);
        setUpdates((u) => u + 1);
      },
      setError,
    );
  }, [query, key, enabled]);
  return { data, error, updates };
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(e instanceof Error ? e.message : String(e));
}

/** An action's state: run(fn) shows busy, then the result or the error. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const live = useRef(true);
  useEffect(() => () => void (live.current = false), []);
  const run = useCallback(async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const msg = await fn();
      if (live.current) setDone(msg || 'Done.');
    } catch (e) {
      if (live.current) setError(toApiError(e));
    } finally {
      if (live.current) setBusy(false);
    }
  }, []);
  return { busy, error, done, run, clear: () => (setError(null), setDone(null)) };
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {what}…
    </p>
  );
}

const hints: Record<string, string> = {
  UNAUTHENTICATED: 'Sign in to see this.',
  FORBIDDEN: 'Your role may not do this.',
  NOT_FOUND: 'It does not exist (or you may not see it).',
  RATE_LIMITED: 'Too many requests: wait a minute.',
  UNAVAILABLE: 'The portal or its node is not reachable right now.',
};

export function ErrorBox({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <div class="error" role="alert">
      <strong>{error.code === 'FAILED' ? 'Refused' : 'Something went wrong'}:</strong> {error.message}
      {hints[error.code] && <span class="hint"> {hints[error.code]}</span>}
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * Renders loading, error or the loaded data; while reloading it keeps
 * showing the data it has (so forms inside keep their state).
 */
export function Show<T>({ q, children, what }: { q: Loaded<T>; what?: string; children: (d: T) => ComponentChildren }) {
  if (q.error) return <ErrorBox error={q.error} retry={q.reload} />;
  if (!q.data) return <Loading what={what} />;
  return <>{children(q.data)}</>;
}

export function Result({ a }: { a: ReturnType<typeof useAction> }) {
  if (a.error) return <ErrorBox error={a.error} />;
  if (a.done)
    return (
      <p class="ok" role="status">
        {a.done}
      </p>
    );
  if (a.busy) return <Loading what="Signing and waiting for the commit" />;
  return null;
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  const p = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={p}>
      <div class="bar" style={{ width: `${p}%` }} />
    </div>
  );
}

export function Badge({ v }: { v: string }) {
  return <span class={`badge b-${v.toLowerCase()}`}>{v.toLowerCase().replace(/_/g, ' ')}</span>;
}

export function Field(props: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span>{props.label}</span>
      {props.children}
      {props.hint && <small>{props.hint}</small>}
    </label>
  );
}

export function Busy(props: JSX.ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean }) {
  const { busy, children, disabled, ...rest } = props;
  return (
    <button {...rest} disabled={busy || disabled} aria-busy={busy ? 'true' : undefined}>
      {children}
    </button>
  );
}

export function Page({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} — Almoner`;
  }, [title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {actions}
      </header>
      {children}
    </section>
  );
}
