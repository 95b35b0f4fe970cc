// Package enumtest is for the GraphQL modules' tests: it checks that a
// GraphQL enum and the portal's read model know every value a contract
// can write (the contract's vocabulary package), so nothing on the ledger
// shows as a value the portal does not know. It imports graphql-go and
// testing only.
package enumtest
