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
// called with wait: true, its committed receipt. Every module defines
// them as a TxMutation (txmutation.go): arguments, the policy object and
// action, and a plan that turns the arguments into the contract call and
// names what it acts on; Builder.TxMutation runs each call alike
// (authentication and write scope, plan, the policy's pre-check, stage,
// sign, submit, wait, result). A refusal by the policy is FORBIDDEN with
// nothing signed; what only the ledger can decide comes back as a
// committed receipt with status FAILED.
//
// # Policy
//
// Resolvers ask the policy in force (portal/authz: the nodes' casbin
// policy at the read model's height) through Config.Allowed and
// Config.Require only, with the contracts' questions (Question); no
// resolver names a role.
//
// # Errors
//
// Errors carry a stable extensions.code (see the Code constants) and a
// message meant for users; internal detail is logged, never returned.
package schema
