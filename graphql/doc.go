// Package graphql is the home of the portal's GraphQL layer (DESIGN.md
// decision 10); the code lives in its sub-packages:
//
//   - schema: the schema builder, the core module (node status, blocks,
//     transactions with receipts and proofs, organisations, members,
//     identity mutations, API tokens, newBlocks), error codes, per-request
//     dataloaders and the depth/cost limits. Domain modules (donations,
//     claims, consent) register their own types, fields, mutations and
//     subscriptions through schema.Builder.
//   - gqlhttp: GraphQL over HTTP (the GraphQL-over-HTTP spec) independent
//     of the web framework.
//   - transportws: the graphql-transport-ws WebSocket protocol, server side.
//   - gqlclient: the client side of the portal's GraphQL over HTTP (sign-in,
//     session cookie and CSRF token or API token, answers with their error
//     codes), for the portal's and the browser tests and scripts/; it
//     imports the standard library only.
//   - internal/enumtest: for the modules' tests, that the GraphQL enums and
//     the read model know every value a contract's vocabulary can write.
//
// These packages import the portal's read model, session and keyring
// packages and the node's wire packages; never node internals.
package graphql
