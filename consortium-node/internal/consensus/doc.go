// Package consensus is the node's persisted raft storage: go.etcd.io/raft/v3's
// Storage kept in goleveldb (hard state, entries, snapshots, compaction,
// all in fsynced batches), rebuilt into raft's MemoryStorage at start, and
// Reseed, which starts a restored node's raft log from a snapshot of its
// restored state. The Ready loop and block proposals live in
// consortium-node/internal/node (raft.go), which is the only importer.
//
// It imports go.etcd.io/raft and goleveldb only.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package consensus
