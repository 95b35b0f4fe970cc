// Shared pieces: data hooks with loading and error states, and small
// accessible components.
import { cloneElement, isValidElement, type ComponentChildren, type JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, gql, subscribe } from './api';
import { DETAIL_ROLES, explain } from './messages';
import { useOrgs } from './names';
import { navigate, useLocation } from './router';
import { has, useViewer } from './session';

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

/**
 * Runs a query of a list paged by cursor ($after): the query on the page
 * after (null on the first page) and setAfter, as a CursorPager takes them.
 */
export function usePagedQuery<T = any>(query: string) {
  const [after, setAfter] = useState<string | null>(null);
  const q = useQuery<T>(query, { after });
  return { q, after, setAfter };
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

/**
 * A load run on demand (by a button): busy while it runs, its error kept
 * until the next run; get() resolves to null after an error.
 */
export function useFetch<T>(load: () => Promise<T>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const get = async (): Promise<T | null> => {
    setBusy(true);
    setError(null);
    try {
      return await load();
    } catch (e) {
      setError(toApiError(e));
      return null;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, get };
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  // An Error raised in the page is a check of what was typed.
  return new ApiError(e instanceof Error ? e.message : String(e), 'VALIDATION');
}

/**
 * Invalid input found before anything is sent: a message per field (by
 * the field's name), shown beside each field, and a summary.
 */
export class Invalid extends Error {
  constructor(readonly fields: Record<string, string>) {
    super(Object.keys(fields).length === 1 ? Object.values(fields)[0] : `Check the ${Object.keys(fields).length} fields marked below.`);
  }
}

/** Collects field errors; throw() throws an Invalid when there is any. */
export class Checks {
  readonly fields: Record<string, string> = {};
  /** Records msg for field name when bad is true; returns bad. */
  need(bad: boolean, name: string, msg: string): boolean {
    if (bad && !this.fields[name]) this.fields[name] = msg;
    return bad;
  }
  get ok(): boolean {
    return Object.keys(this.fields).length === 0;
  }
  throw() {
    if (!this.ok) throw new Invalid(this.fields);
  }
}

/** Throws an Invalid for one field. */
export function invalid(name: string, msg: string): never {
  throw new Invalid({ [name]: msg });
}

// Notices: confirmations that stay until the person dismisses them. They
// belong to a scope (a page, a claim) rather than to the form that raised
// them, so a live update that replaces the form (a claim that moves on to
// its next status) leaves them in place.
interface Notice {
  id: number;
  text: string;
}
const noticeBoard = new Map<string, Notice[]>();
const noticeListeners = new Set<() => void>();
let noticeSeq = 0;

/** Adds a confirmation to scope's notices. */
export function notify(scope: string, text: string) {
  noticeBoard.set(scope, [...(noticeBoard.get(scope) ?? []), { id: ++noticeSeq, text }]);
  noticeListeners.forEach((l) => l());
}

function dismissNotice(scope: string, id: number) {
  noticeBoard.set(scope, (noticeBoard.get(scope) ?? []).filter((n) => n.id !== id));
  noticeListeners.forEach((l) => l());
}

/** The notices of a scope, each with a Dismiss button. */
export function Notices({ scope }: { scope: string }) {
  const [, set] = useState(0);
  useEffect(() => {
    const l = () => set((n) => n + 1);
    noticeListeners.add(l);
    return () => void noticeListeners.delete(l);
  }, []);
  const list = noticeBoard.get(scope) ?? [];
  return (
    <div class="notices" role="status" aria-live="polite">
      {list.map((n) => (
        <Done key={n.id} text={n.text} onDismiss={() => dismissNotice(scope, n.id)} />
      ))}
    </div>
  );
}

/** A confirmation with a Dismiss button. */
export function Done({ text, onDismiss }: { text: string; onDismiss: () => void }) {
  return (
    <p class="ok done">
      <span>{text}</span>
      <button type="button" class="dismiss" onClick={onDismiss} aria-label={`Dismiss: ${text}`}>
        Dismiss
      </button>
    </p>
  );
}

/**
 * An action's state: run(fn) shows busy, then the result or the error.
 * fn returns the confirmation to show; with a scope it goes to that
 * scope's Notices (so it outlives the form), otherwise it stays beside the
 * form until dismissed or the next run. An Invalid error marks its fields
 * (fieldError(name)).
 */
export function useAction(scope?: string) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const live = useRef(true);
  useEffect(() => () => void (live.current = false), []);
  const run = useCallback(
    async (fn: () => Promise<string | void>) => {
      setBusy(true);
      setError(null);
      setFields({});
      setDone(null);
      try {
        const msg = (await fn()) || 'Done.';
        if (scope) notify(scope, msg);
        else if (live.current) setDone(msg);
      } catch (e) {
        if (live.current) {
          if (e instanceof Invalid) setFields(e.fields);
          setError(e instanceof Invalid ? new ApiError(e.message, 'VALIDATION') : toApiError(e));
        }
      } finally {
        if (live.current) setBusy(false);
      }
    },
    [scope],
  );
  /** Runs checks now (no busy state, nothing sent): false, with the fields marked, when they throw. */
  const validate = (fn: () => void): boolean => {
    setDone(null);
    try {
      fn();
      setError(null);
      setFields({});
      return true;
    } catch (e) {
      if (e instanceof Invalid) setFields(e.fields);
      setError(e instanceof Invalid ? new ApiError(e.message, 'VALIDATION') : toApiError(e));
      return false;
    }
  };
  return {
    busy,
    error,
    done,
    fields,
    run,
    validate,
    fieldError: (name: string): string | undefined => fields[name],
    clear: () => (setError(null), setDone(null), setFields({})),
  };
}

/** An action: its state and its run (useAction). */
export type Action = ReturnType<typeof useAction>;

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {what}…
    </p>
  );
}

/**
 * An error in plain words (messages.explain): a title and a short reason;
 * administrators, auditors and privacy officers can open the original
 * message (the policy's reasoning) behind a "Details" toggle.
 */
export function ErrorBox({ error, retry }: { error: ApiError; retry?: () => void }) {
  const { viewer } = useViewer();
  const orgs = useOrgs();
  const x = explain(error, orgs);
  const admin = has(viewer, ...DETAIL_ROLES);
  return (
    <div class="error" role="alert">
      <strong>{x.title}:</strong> {x.summary}{' '}
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Try again
        </button>
      )}
      {admin && x.details && (
        <details class="why">
          <summary>Details</summary>
          <p>{x.details}</p>
        </details>
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

/** What a live view says when its updates stopped: why, in words, and what to do. */
export function LiveStopped({ error }: { error: ApiError }) {
  return <span class="warn">Live updates stopped: {explain(error).summary} Reload the page to see new changes.</span>;
}

export function Result({ a }: { a: Action }) {
  if (a.error) return <ErrorBox error={a.error} />;
  if (a.done) return <Done text={a.done} onDismiss={a.clear} />;
  if (a.busy) return <Loading what="Signing and waiting for the commit" />;
  return null;
}

/** A table's header row: a column header per label; a missing (false or undefined) label leaves its column out. */
export function Head({ cols }: { cols: (string | false | undefined)[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c) =>
          c === false || c === undefined ? null : (
            <th key={c} scope="col">
              {c}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/**
 * A table that becomes a card per row on a phone (table.stack: each cell
 * shows its data-label) and otherwise scrolls sideways within itself if it
 * must: its caption for screen readers, a column header per label (Head),
 * the rows as children.
 */
export function StackTable({ caption, cols, children }: { caption: string; cols: (string | false | undefined)[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class="stack">
        <caption class="sr-only">{caption}</caption>
        <Head cols={cols} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  const p = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={p}>
      <div class="bar" style={{ width: `${p}%` }} />
    </div>
  );
}

/** A status as a coloured badge: its code lower-cased, or text. */
export function Badge({ v, text }: { v: string; text?: string }) {
  return <span class={`badge b-${v.toLowerCase()}`}>{text ?? v.toLowerCase().replace(/_/g, ' ')}</span>;
}

let fieldSeq = 0;

/**
 * A labelled field; with error, the message beside the field (and the
 * control marked aria-invalid and described by it).
 */
export function Field(props: { label: string; children: ComponentChildren; hint?: string; error?: string }) {
  const id = useMemo(() => `f${++fieldSeq}`, []);
  let child = props.children;
  if (props.error && isValidElement(child)) child = cloneElement(child as any, { 'aria-invalid': 'true', 'aria-describedby': `${id}-err` });
  return (
    <label class={`field${props.error ? ' has-error' : ''}`}>
      <span>{props.label}</span>
      {child}
      {props.hint && <small>{props.hint}</small>}
      {props.error && <FieldError id={`${id}-err`} error={props.error} />}
    </label>
  );
}

/**
 * A labelled input (a Field) named name, its value given to onValue as it
 * is typed, and beside it the action's error for name when it has one.
 */
export function InputField(
  props: Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'name' | 'onInput'> & {
    a: Action;
    label: string;
    hint?: string;
    name: string;
    onValue: (value: string) => void;
  },
) {
  const { a, label, hint, name, onValue, ...rest } = props;
  return (
    <Field label={label} hint={hint} error={a.fieldError(name)}>
      <input {...rest} name={name} onInput={(e) => onValue(e.currentTarget.value)} />
    </Field>
  );
}

/** A field's error message, by id for the control (or group) it describes. */
function FieldError({ id, error }: { id: string; error: string }) {
  return (
    <small class="field-error" id={id}>
      <span aria-hidden="true">⚠ </span>
      {error}
    </small>
  );
}

/**
 * A group of checkboxes, one per item (its value and label from the item),
 * that keeps the checked values in chosen, in the order they were checked;
 * children come before the boxes (a search field). With error, the message
 * after the boxes, and the group described by it.
 */
export function CheckGroup<T>(props: {
  legend: ComponentChildren;
  name?: string;
  items: T[];
  value: (item: T) => string;
  label: (item: T) => ComponentChildren;
  chosen: string[];
  onChange: (chosen: string[]) => void;
  error?: string;
  children?: ComponentChildren;
}) {
  const { legend, name, items, value, label, chosen, onChange, error, children } = props;
  const id = useMemo(() => `f${++fieldSeq}`, []);
  return (
    <fieldset aria-describedby={error ? `${id}-err` : undefined}>
      <legend>{legend}</legend>
      {children}
      {items.map((item) => {
        const v = value(item);
        return (
          <label key={v} class="check">
            <input
              type="checkbox"
              name={name}
              value={v}
              checked={chosen.includes(v)}
              onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, v] : chosen.filter((x) => x !== v))}
            />{' '}
            {label(item)}
          </label>
        );
      })}
      {error && <FieldError id={`${id}-err`} error={error} />}
    </fieldset>
  );
}

/** The fieldsets of the entries a form repeats, by legend and number (Milestone 1), each with its fields. */
export function Entries<T>({ list, legend, children }: { list: T[]; legend: string; children: (entry: T, i: number) => ComponentChildren }) {
  return (
    <>
      {list.map((x, i) => (
        <fieldset key={i}>
          <legend>
            {legend} {i + 1}
          </legend>
          {children(x, i)}
        </fieldset>
      ))}
    </>
  );
}

/** The entries of a list a form repeats with entry i's field key set to value. */
export function withField<T, K extends keyof T>(list: T[], i: number, key: K, value: T[K]): T[] {
  return list.map((x, j) => (j === i ? { ...x, [key]: value } : x));
}

/**
 * The buttons under a list of entries a form repeats (milestones, items):
 * one adds a blank entry, the other removes the last while more than one
 * is left.
 */
export function AddRemove<T>(props: { list: T[]; set: (list: T[]) => void; blank: () => T; add: string; remove: string }) {
  const { list, set, blank, add, remove } = props;
  return (
    <>
      <button type="button" class="secondary" onClick={() => set([...list, blank()])}>
        {add}
      </button>
      {list.length > 1 && (
        <button type="button" class="secondary" onClick={() => set(list.slice(0, -1))}>
          {remove}
        </button>
      )}
    </>
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

/**
 * A choice among [value, label] pairs; with placeholder, a first empty
 * choice. Other attributes (name, aria-*) go to the select, so a Field can
 * mark it invalid.
 */
export function Select(
  props: Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, 'onChange'> & {
    choices: [string, string][];
    placeholder?: string;
    onChange: (value: string) => void;
  },
) {
  const { choices, placeholder, onChange, ...rest } = props;
  return (
    <select {...rest} onChange={(e) => onChange(e.currentTarget.value)}>
      {placeholder !== undefined && <option value="">{placeholder}</option>}
      {choices.map(([k, v]) => (
        <option key={k} value={k}>
          {v}
        </option>
      ))}
    </select>
  );
}

/**
 * A form whose submit runs an action (a.run(run)) in place of loading a
 * page; check, when given, first checks the fields (Checks), and a field
 * it marks stops the action before anything is sent.
 */
export function ActionForm(
  props: JSX.HTMLAttributes<HTMLFormElement> & { a: Action; check?: (c: Checks) => void; run: () => Promise<string | void> },
) {
  const { a, check, run, ...rest } = props;
  return (
    <form
      {...rest}
      onSubmit={(e) => {
        e.preventDefault();
        a.run(async () => {
          if (check) {
            const c = new Checks();
            check(c);
            c.throw();
          }
          return run();
        });
      }}
    />
  );
}

/**
 * A form whose action runs only once confirmed: the first submit runs
 * check (throwing Invalid marks its fields) and, when it passes, asks
 * question; the second, its button now reading yes, runs the action (run
 * checks again), its result after the buttons. Cancelling, or anything
 * calling setConfirming(false), goes back to the first step.
 */
export function ConfirmForm(
  props: JSX.HTMLAttributes<HTMLFormElement> & {
    a: Action;
    check: () => void;
    run: () => Promise<string | void>;
    confirming: boolean;
    setConfirming: (confirming: boolean) => void;
    question: ComponentChildren;
    submit: string;
    yes: string;
    cancel: string;
    buttonClass?: string;
  },
) {
  const { a, check, run, confirming, setConfirming, question, submit, yes, cancel, buttonClass, children, ...rest } = props;
  return (
    <form
      {...rest}
      onSubmit={(e) => {
        e.preventDefault();
        if (!confirming) {
          if (a.validate(check)) setConfirming(true);
          return;
        }
        a.run(run);
      }}
    >
      {children}
      {confirming && (
        <p class="alert" role="alert">
          {question}
        </p>
      )}
      <SubmitRow
        a={a}
        submit={confirming ? yes : submit}
        buttonClass={buttonClass}
        after={
          confirming && (
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              {cancel}
            </button>
          )
        }
      />
    </form>
  );
}

/**
 * A form's row of controls (children) ending in its submit button, busy
 * while the action runs, and after it what follows it (a cancel button);
 * the action's result below the row.
 */
export function SubmitRow(props: { a: Action; submit: ComponentChildren; buttonClass?: string; after?: ComponentChildren; children?: ComponentChildren }) {
  const { a, submit, buttonClass, after, children } = props;
  return (
    <>
      <div class="row">
        {children}
        <Busy type="submit" class={buttonClass} busy={a.busy}>
          {submit}
        </Busy>
        {after}
      </div>
      <Result a={a} />
    </>
  );
}

/** A button (not a form's submit) that runs an action (a.run(run)), busy while it runs. */
export function RunButton(
  props: Omit<JSX.ButtonHTMLAttributes<HTMLButtonElement>, 'type' | 'onClick'> & { a: Action; run: () => Promise<string | void> },
) {
  const { a, run, ...rest } = props;
  return <Busy {...rest} type="button" busy={a.busy} onClick={() => a.run(run)} />;
}

/**
 * An action's button (busy while it runs) with the action's result after
 * it: a form's submit, or with run a button that runs it (RunButton).
 */
export function ActionButton(props: JSX.ButtonHTMLAttributes<HTMLButtonElement> & { a: Action; run?: () => Promise<string | void> }) {
  const { a, run, ...rest } = props;
  return (
    <>
      {run ? <RunButton {...rest} a={a} run={run} /> : <Busy {...rest} busy={a.busy} />}
      <Result a={a} />
    </>
  );
}

/** A connection's page info, as the GraphQL API's lists give it. */
export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * Paging through a list by cursor (after, null on the first page): back
 * to the first page when not on it, on to the next when there is one;
 * nothing when neither.
 */
export function CursorPager(props: {
  label: string;
  after: string | null;
  setAfter: (cursor: string | null) => void;
  page: PageInfo;
  first: string;
  next: string;
  buttonClass?: string;
}) {
  const { label, after, setAfter, page, first, next, buttonClass } = props;
  if (!after && !page.hasNextPage) return null;
  return (
    <nav class="pager" aria-label={label}>
      {after && (
        <button type="button" class={buttonClass} onClick={() => setAfter(null)}>
          {first}
        </button>
      )}
      {page.hasNextPage && (
        <button type="button" class={buttonClass} onClick={() => setAfter(page.endCursor)}>
          {next}
        </button>
      )}
    </nav>
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

export interface Tab {
  id: string;
  label: ComponentChildren;
  content: () => ComponentChildren;
}

/**
 * Tabs for a long page: one panel at a time, the chosen tab in the URL
 * (?tab=id) so that a link or the back button returns to it; arrow keys
 * move between tabs (WAI-ARIA tabs pattern).
 */
export function Tabs({ tabs, label }: { tabs: Tab[]; label: string }) {
  const { query } = useLocation();
  const asked = query.get('tab');
  const current = tabs.find((t) => t.id === asked) ?? tabs[0];
  if (!current) return null;
  const choose = (id: string, focus = false) => {
    const q = new URLSearchParams(location.search);
    q.set('tab', id);
    navigate(`${location.pathname}?${q}`, false);
    if (focus) setTimeout(() => document.getElementById(`tab-${id}`)?.focus(), 0);
  };
  return (
    <div class="tabs">
      <div class="tablist" role="tablist" aria-label={label}>
        {tabs.map((t, i) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={t.id === current.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={t.id === current.id ? 0 : -1}
            onClick={() => choose(t.id)}
            onKeyDown={(e) => {
              const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
              if (d) {
                e.preventDefault();
                choose(tabs[(i + d + tabs.length) % tabs.length].id, true);
              }
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div class="tabpanel" role="tabpanel" id={`panel-${current.id}`} aria-labelledby={`tab-${current.id}`}>
        {current.content()}
      </div>
    </div>
  );
}
