// Package store owns the node's goleveldb database: committed state, the
// block store, receipts, the tx index, node signatures over headers and the
// head record. (The raft log lives in the same database under its own
// prefix; package consensus owns it.)
//
// A block is committed with exactly one leveldb batch written with fsync:
// its state writes, block, receipts, tx index entries, header signatures
// and the new head (including the raft index it was applied from) become
// durable together or not at all, so after a crash the store is at the
// last committed block with nothing partial visible.
//
// Key layout:
//
//	s/<state key>            state value
//	b/<height be64>          ledger.Block
//	h/<header hash>          height be64
//	r/<height be64>          []ledger.Receipt
//	g/<height be64>          []ledger.HeaderSignature
//	t/<tx id>                txLoc{height, index}
//	m/head                   Head
package store
