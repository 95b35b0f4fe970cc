// Package server is the portal's HTTP server on fiber (DESIGN.md decision
// 10): GraphQL over HTTP and graphql-transport-ws at /graphql, a GraphiQL
// page at /graphiql from embedded assets (no third-party hosts), login and
// logout under /auth, /healthz (ready only when the read model has caught
// up with the node) and /metrics (Prometheus); the consortium's genesis
// file at /genesis.json (Config.Genesis: public, what receipts are
// verified against); the web app (Config.Frontend, package frontend's
// embedded build) at / with its client-side routes, after every other
// route so that it never shadows them; and, on a development portal only
// (Config.DevAccounts), the demo accounts for the app's role switcher at
// /auth/dev-accounts.
//
// Sessions: GET /auth/session answers the signed-in principal (account,
// CSRF token) or 401; GET /auth/status, the probe pages make on load,
// answers 200 either way ({"signedIn": false} when anonymous), so being
// signed out logs no error in a browser.
//
// The web app's files are compressed once, at build time (NAME.br and
// NAME.gz beside each text file): the portal serves the variant the
// request's Accept-Encoding allows, with Vary: Accept-Encoding. Hashed
// files under /assets/ are cached for a year (immutable); index.html and
// the other files are revalidated (no-cache); API answers are no-store.
//
// Protection: body size limit, read/write/idle timeouts and a per-operation
// timeout, per-IP, per-login and per-user rate limits, and the GraphQL
// depth, cost and length limits of graphql/schema. Browser sessions use an
// HttpOnly, SameSite=Strict (and, with TLS, Secure) cookie; mutations and
// logout from a session need the session's CSRF token in X-CSRF-Token and
// a same-origin Origin. Machine clients send Authorization: Bearer <API
// token>. Request logs carry route, method, status, duration and
// operation kind only — no IPs, accounts, queries or variables.
//
// Imports: fiber, contrib/websocket, prometheus, the graphql packages,
// portal/session and portal/defaults. Never node internals.
package server
