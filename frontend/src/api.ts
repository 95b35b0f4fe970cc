// The portal's API as the app uses it: the session (/auth), GraphQL over
// HTTP (a small fetch client) and subscriptions over graphql-transport-ws
// (graphql-ws). Everything is same-origin; the session cookie is HttpOnly,
// so the app only ever holds the CSRF token.
import { createClient, type Client } from 'graphql-ws';

export interface Session {
  account: string;
  csrfToken: string;
  /** The password was set by someone else: change it before anything else. */
  mustChangePassword?: boolean;
}

export interface DevAccount {
  account: string;
  password: string;
  roles: string[];
}

/** An error to show the user: the portal's message and its code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string = 'INTERNAL',
  ) {
    super(message);
  }
}

let csrf = '';

async function errorOf(r: Response): Promise<ApiError> {
  try {
    const body = await r.json();
    const e = body?.errors?.[0];
    if (e?.message) return new ApiError(e.message, e.extensions?.code ?? 'INTERNAL');
  } catch {
    /* not JSON */
  }
  return new ApiError(`the portal answered ${r.status} ${r.statusText}`, r.status >= 500 ? 'UNAVAILABLE' : 'BAD_REQUEST');
}

interface Status extends Partial<Session> {
  signedIn: boolean;
  /** A development portal: GET /auth/dev-accounts lists the demo accounts. */
  devAccounts?: boolean;
}

let lastStatus: Promise<Status> | null = null;

/**
 * GET /auth/status: 200 whether signed in or not ({signedIn: false} when
 * anonymous), so an anonymous visit logs no error in the browser's console
 * (GET /auth/session, for other clients, answers 401 then).
 */
function status(): Promise<Status> {
  const p = (async () => {
    const r = await fetch('/auth/status', { credentials: 'same-origin' });
    if (!r.ok) throw await errorOf(r);
    return (await r.json()) as Status;
  })();
  lastStatus = p;
  p.catch(() => {
    if (lastStatus === p) lastStatus = null;
  });
  return p;
}

/** The current session, or null when signed out. */
export async function currentSession(): Promise<Session | null> {
  const s = await status();
  if (!s.signedIn || !s.account || !s.csrfToken) {
    csrf = '';
    return null;
  }
  csrf = s.csrfToken;
  return { account: s.account, csrfToken: s.csrfToken, mustChangePassword: s.mustChangePassword };
}

export async function signIn(account: string, password: string): Promise<Session> {
  const r = await fetch('/auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ account, password }),
  });
  if (!r.ok) throw await errorOf(r);
  const s = (await r.json()) as Session;
  csrf = s.csrfToken;
  resetSubscriptions();
  return s;
}

export async function signOut(): Promise<void> {
  const r = await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } });
  if (!r.ok && r.status !== 401) throw await errorOf(r);
  csrf = '';
  resetSubscriptions();
}

/**
 * The demo accounts of a development portal; [] on any other portal,
 * which /auth/status tells without asking for them (no 404 in the console).
 */
export async function devAccounts(): Promise<DevAccount[]> {
  if (!(await (lastStatus ?? status())).devAccounts) return [];
  const r = await fetch('/auth/dev-accounts', { credentials: 'same-origin' });
  if (r.status === 404) return [];
  if (!r.ok) throw await errorOf(r);
  return ((await r.json()) as { accounts: DevAccount[] }).accounts;
}

/** Runs a query or mutation over HTTP POST and returns its data. */
export async function gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let r: Response;
  try {
    r = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        ...(csrf ? { 'X-CSRF-Token': csrf } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('the portal cannot be reached', 'UNAVAILABLE');
  }
  let body: any;
  try {
    body = await r.json();
  } catch {
    throw await errorOf(r);
  }
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new ApiError(e.message, e.extensions?.code ?? 'INTERNAL');
  }
  if (!r.ok || !body.data) throw new ApiError(`the portal answered ${r.status}`, 'INTERNAL');
  return body.data as T;
}

/**
 * Every node of a list that query answers in field (a connection: nodes and
 * pageInfo { hasNextPage endCursor }, the next page asked for with $after),
 * loaded page by page up to max nodes; truncated when more were left.
 */
export async function allPages<T = any>(
  query: string,
  field: string,
  variables: Record<string, unknown>,
  max: number,
): Promise<{ nodes: T[]; truncated: boolean }> {
  const nodes: T[] = [];
  let after: string | null = null;
  for (;;) {
    const d: any = await gql(query, { ...variables, after });
    const page = d[field];
    nodes.push(...page.nodes);
    if (!page.pageInfo.hasNextPage || nodes.length >= max) return { nodes, truncated: page.pageInfo.hasNextPage };
    after = page.pageInfo.endCursor;
  }
}

export interface TxResult {
  id: string;
  status: 'PENDING' | 'COMMITTED';
  height: number | null;
  receipt: { status: 'OK' | 'FAILED'; error: string | null } | null;
}

const txFields = 'id status height receipt { status error }';

/**
 * Runs a mutation that signs a transaction (the mutation's text declares
 * `$wait: Boolean` and selects `{ TX }`, replaced by the TxResult fields),
 * waits for the commit and throws the ledger's reason when the transaction
 * failed.
 */
export async function submit(mutation: string, variables: Record<string, unknown>): Promise<TxResult> {
  if (!mutation.includes('{ TX }')) throw new Error('submit: the mutation must select { TX }');
  const data = await gql<Record<string, TxResult>>(mutation.replace('{ TX }', `{ ${txFields} }`), { ...variables, wait: true });
  const res = Object.values(data)[0];
  if (res.receipt?.status === 'FAILED') throw new ApiError(`the ledger refused it: ${res.receipt.error ?? 'failed'}`, 'FAILED');
  return res;
}

let ws: Client | null = null;

function wsClient(): Client {
  if (!ws) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    ws = createClient({ url, lazy: true, retryAttempts: 5 });
  }
  return ws;
}

function resetSubscriptions() {
  // A new session needs a new connection: the cookie is read at the handshake.
  ws?.dispose();
  ws = null;
}

/**
 * Subscribes over graphql-transport-ws; onData gets each result's data,
 * onError a user-facing error. Returns the unsubscribe function.
 */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (d: T) => void,
  onError: (e: ApiError) => void,
): () => void {
  return wsClient().subscribe<T>(
    { query, variables },
    {
      next: (r) => {
        if (r.errors?.length) onError(new ApiError(r.errors[0].message, (r.errors[0].extensions?.code as string) ?? 'INTERNAL'));
        else if (r.data) onData(r.data as T);
      },
      error: (e) => onError(new ApiError(e instanceof Error ? e.message : 'the live connection closed', 'UNAVAILABLE')),
      complete: () => {},
    },
  );
}
