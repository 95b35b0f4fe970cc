// Package gqlhttp implements GraphQL over HTTP (the GraphQL-over-HTTP
// spec, draft of 2024) independently of the web framework: the portal's
// fiber handler converts its request into a Request and writes the
// Response back.
//
//   - POST with Content-Type application/json (utf-8) runs any operation;
//     GET runs queries only (a mutation over GET answers 405, Allow: POST).
//   - The response media type follows Accept: application/graphql-response+json
//     when acceptable, else application/json (also for */* or no Accept);
//     406 when neither is acceptable.
//   - Under application/graphql-response+json, a request that cannot run
//     (bad JSON, missing query, parse or validation failure, bad variables,
//     a limit exceeded) answers 400 without a data entry; under
//     application/json it answers 200 with the errors, as the spec
//     recommends for legacy clients — except malformed requests (not JSON,
//     no query), which answer 400 in both.
//   - Every GraphQL error has extensions.code; see graphql/schema.
package gqlhttp
