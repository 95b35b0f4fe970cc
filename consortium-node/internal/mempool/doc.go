// Package mempool admits transactions to the node: it decodes them under
// the size limits, checks chain id, expiry window and duplicates (pending
// or already committed), verifies signatures on a pool of workers (one per
// core) in batches (tx.VerifyBatch, which accepts exactly the signatures
// checking each alone accepts), refuses transactions not signed by a current key of an active
// member (Config.Authenticate), and queues them in arrival order for the
// proposer. A transaction is verified once per node: the pool remembers
// verified transactions until they commit, so block application does not
// verify them again. Every refusal carries a Reason from a small fixed set,
// for metrics.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package mempool
