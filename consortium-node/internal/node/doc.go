// Package node assembles a consortium node: mempool admission, block
// proposals with batching (max transactions, max bytes, max wait), raft
// consensus (go.etcd.io/raft/v3, also for a cluster of one), deterministic
// block building from committed raft entries, parallel execution
// (Block-STM), the fsynced block commit, the node's signature over each
// header it executed, and notification of waiting clients and block
// followers — in that order: commit, execute, persist, notify. Persisting
// block N overlaps building and executing block N+1 on N's staged state,
// one block deep; nothing of N is told before it is durable (pipeline.go).
//
// One goroutine owns the raft node and applies blocks; API goroutines talk
// to it through the mempool, channels and the store, never by locking the
// execution path.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package node
