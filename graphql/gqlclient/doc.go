// Package gqlclient is a client of the portal's GraphQL over HTTP, as
// portal/server and graphql/gqlhttp serve it, for programs and tests that
// act as a member: it signs in (POST /auth/login), keeps the session
// cookie in a cookie jar and sends the session's CSRF token in
// X-CSRF-Token, or authenticates with an API token (Authorization:
// Bearer); it posts documents with variables to /graphql (JSON, or any
// body such as a multipart upload) and decodes the answer's data and
// errors, each error's extensions.code included. Answers are read up to
// a size limit; every request takes a context.
//
// An answer the portal gives is a *Response whatever its HTTP status, so
// that a caller can check a status code or a refusal; Run and SignIn turn
// a refusal into a *ResponseError (status, errors with their codes,
// headers, body) for callers that only want success.
//
// Imports: the standard library only. Used by the portal's tests
// (portal/app), the browser tests (frontend/e2e) and the commands under
// scripts/ that talk to a portal.
package gqlclient
