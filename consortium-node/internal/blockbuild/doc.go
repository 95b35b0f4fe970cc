// Package blockbuild turns an ordered proposal of transactions into a
// block: the deterministic half of committing, the same on every node and
// in every test. It filters what may not enter a block (malformed, badly
// signed, another chain's, expired, already committed, repeated, refused
// by a contract's precheck, not signed by a current member, beyond the
// block's limits), executes the rest on the executor it is given, and
// returns the block, its receipts, its state writes and its header, or,
// when replaying a block built elsewhere, checks that its header comes
// out the same.
//
// It has no clock, starts no goroutines (an executor may), does no I/O of
// its own and keeps no state: what it reads comes through the interfaces
// it is handed (state, committed transactions, membership). The node
// (consortium-node/internal/node) keeps raft, storage, signing and notification;
// contracts/chaintest runs the same builder, so scenario tests exercise
// the real block building.
//
// It imports the ledger types, the transaction codec, the contract
// registry, the executor and the mempool's stateless checks.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package blockbuild
