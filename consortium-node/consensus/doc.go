// Package consensus runs go.etcd.io/raft/v3 for the node: persisted raft
// storage in goleveldb, the Ready loop, and block proposals.
package consensus
