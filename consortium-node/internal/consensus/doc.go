// Package consensus is the node's persisted raft storage: go.etcd.io/raft/v3's
// Storage (hard state, entries, snapshots, compaction, every change fsynced
// before it is acknowledged), rebuilt into raft's MemoryStorage at start.
// The node keeps it in a segment log of its own (OpenLog, seglog.go:
// CRC-checked records, torn tails dropped, damage refused with ErrCorrupt);
// node homes of earlier versions and backup archives keep it in goleveldb
// under a key prefix (OpenStorage, dbstore.go), which MigrateToLog moves
// into a segment log and View.Export writes. Reseed starts a restored
// node's raft log from a snapshot of its restored state. The Ready loop
// and block proposals live in consortium-node/internal/node (raft.go),
// which is the only importer.
//
// It imports go.etcd.io/raft, goleveldb, privacy/integrity and privacy/fsync
// only.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package consensus
