// Package consortium is the system contract that owns the consortium's
// node membership: the node records (raft id, organisation, signing key,
// addresses) in state, and changes to them. A node is added or removed by a
// transaction that carries approvals signed by organisation admins of a
// majority of the consortium's organisations; each approval is bound to the
// chain, the exact change and an expiry height. The node that applies the
// change turns it into a raft configuration change (package node).
//
// State (under "consortium/"): "node/<id>" -> Node, "nodes" -> sorted ids
// of current nodes, "raftid/<n>" -> node id (never deleted: raft ids are
// not reused).
//
// Its vocabulary (name, statuses or kinds, events, records, state keys and
// genesis writes) is defined once in package consortium/vocab, which the portal
// imports too; this package names it and adds the execution. It imports
// the contract runtime (package contracts) and the vocabulary packages.
package consortium
