// Package schema builds the portal's GraphQL schema (graphql-go) from
// modules. The core module serves node status, blocks (Relay connections),
// transactions with receipts, receipt proofs, organisations, members, the
// viewer and API tokens, the identity mutations (createMember generates
// the new member's keys in the portal keystore and creates their
// account), changePassword, and the newBlocks subscription.
//
// # Mutations
//
// Every user action is a mutation that signs one transaction with the
// acting member's key held in the portal keyring, submits it to the node
// and returns a TxResult: the transaction id and, when the mutation is
// called with wait: true, its committed receipt. Before signing, the
// portal checks what it can (authentication, the token's write scope, the
// member's role in the read model) and refuses with FORBIDDEN; what only
// the ledger can decide comes back as a committed receipt with status
// FAILED. Domain modules follow the same pattern with Builder.Submit.
//
// # Errors
//
// Errors carry a stable extensions.code (see the Code constants) and a
// message meant for users; internal detail is logged, never returned.
package schema
