// Package store owns the node's goleveldb database: committed state, the
// block store, receipts, the tx index, node signatures over headers and the
// head record. (The raft log has a folder of its own beside the database:
// package consensus owns it; node homes of earlier versions kept it here
// under raft/, moved out when the node opens.)
//
// A block is committed with exactly one leveldb batch written with fsync:
// its state writes, block, receipts, tx index entries, header signatures
// and the new head (including the raft index it was applied from) become
// durable together or not at all, so after a crash the store is at the
// last committed block with nothing partial visible. Commit is Stage, then
// Write (stage.go): the node writes a staged block in the background while
// it builds the next one on the Tip (the staged block's writes and
// transactions over the store); at most one block is staged, and every
// other reader, the head and its applied index see a block only once its
// batch is durable.
//
// Committed answers whether a transaction is in a block. With TrackRecent
// (the node turns it on with the genesis replay window, and loads the
// blocks committed before with FillRecent in the background) the ids of the
// window's transactions are kept in memory (recent.go, at most
// MaxRecentTxs): a transaction that may still enter a block can only be in
// those blocks, so admission and block building ask without a database
// read; a real duplicate is confirmed in the tx index.
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
//	m/halt                   the halt reason (SetHalted)
//
// Files and failures: Open (disk.go) opens the database on its folder after
// ScanFiles (scan.go) has read the journals and manifest record by record
// and the tables with their block checksums, naming a damaged file in a
// FileError; a torn last record (an unacknowledged write cut off by a crash
// or a full disk) is dropped. A write failure (WriteFailure: ENOSPC, EIO...)
// is not corruption (Corruption): nothing half-written becomes visible, but
// goleveldb does not write again until the database is reopened, which
// Probe says is worth trying. VerifyChain and VerifyAll (verify.go) check
// the chain the store serves; CheckRanges and CopyRanges (salvage.go) read
// the intact part of a damaged database; FaultStorage and FaultDisk
// (fault.go) fail writes as a full filesystem does, for tests.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package store
