// GraphiQL at /graphiql (a second Vite entry, graphiql.html): the real
// GraphiQL (React; the app itself is Preact) on the portal's session.
// Queries and mutations go to /graphql with the session cookie and the
// CSRF token of GET /auth/status; subscriptions go over
// graphql-transport-ws on the same /graphql (graphql-ws). Everything is
// same-origin: the Monaco editor's workers are files built by Vite.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './graphiql.css';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';

let csrf = '';

/** Reads the session's CSRF token; signed out leaves it empty (queries of public data still work). */
async function loadSession(): Promise<void> {
  try {
    // /auth/status answers 200 signed in or not (no console error when anonymous).
    const r = await fetch('/auth/status', { credentials: 'same-origin' });
    csrf = r.ok ? (((await r.json()) as { csrfToken?: string }).csrfToken ?? '') : '';
  } catch {
    csrf = '';
  }
}

/** fetch with the session cookie and the CSRF token (the portal requires it for mutations). */
const sessionFetch: typeof fetch = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (csrf && !headers.has('X-CSRF-Token')) headers.set('X-CSRF-Token', csrf);
  return fetch(input, { ...init, headers, credentials: 'same-origin' });
};

const wsURL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  fetch: sessionFetch,
  // The cookie is read at the WebSocket handshake, so the connection
  // carries the same session as the HTTP requests.
  wsClient: createClient({ url: wsURL, lazy: true, retryAttempts: 5 }),
});

// ?query= (and ?variables=) open GraphiQL on that operation.
const params = new URLSearchParams(location.search);
const initialQuery = params.get('query') ?? undefined;
const initialVariables = params.get('variables') ?? undefined;

await loadSession();
createRoot(document.getElementById('graphiql')!).render(
  createElement(GraphiQL, {
    fetcher,
    initialQuery,
    initialVariables,
    defaultQuery: '# Almoner portal GraphQL — signed in with the web app\'s session.\n{\n  nodeStatus {\n    height\n  }\n}\n',
  }),
);
