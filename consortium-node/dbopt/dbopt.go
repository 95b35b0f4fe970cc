package dbopt

import (
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Sizes of the database's memory tables and files (Options). They trade
// memory for CPU: goleveldb's defaults (a 4 MiB write buffer, 2 MiB
// tables, 10 MiB at level 1, no bloom filter) made compaction a third of a
// loaded node's CPU and 40% of a rebuilding portal's (docs/performance.md).
const (
	// WriteBuffer is the journal and memory table size before a flush to a
	// level-0 table. goleveldb keeps up to two memory tables of this size
	// (one being flushed), so it adds up to twice this much to the
	// process's memory.
	WriteBuffer = 32 << 20
	// TableSize is the size of the tables compaction writes.
	TableSize = 8 << 20
	// Level1Size is level 1's size before it is compacted into level 2
	// (each later level 10 times more): about the size of level 0 at its
	// compaction trigger (4 flushed memory tables), so that level-0
	// compactions do not rewrite level 1 again and again.
	Level1Size = 64 << 20
	// BloomBitsPerKey sizes the tables' bloom filters: a point read of a
	// key that is not there (every new transaction id and member, state
	// keys and index records written for the first time) skips a table on
	// its filter instead of reading its blocks; 10 bits a key is about 1%
	// false positives.
	BloomBitsPerKey = 10
)

// Options returns new strict goleveldb options with the sizes above:
// journal and manifest corruption is an error, never silently dropped, and
// table blocks are read with their checksums. Every write that commits
// something is synced by its caller (one batch, one fsync); the sizes do
// not change what is durable when, only how often data is reorganised on
// disk. A bloom filter is kept in each table written with these options;
// tables written before without one are read as before. The caller owns
// the result and may add to it (the node's store adds StrictReader).
func Options() *opt.Options {
	return &opt.Options{
		Strict: opt.StrictManifest | opt.StrictJournalChecksum | opt.StrictJournal |
			opt.StrictBlockChecksum | opt.StrictCompaction,
		NoSync:              false,
		WriteBuffer:         WriteBuffer,
		CompactionTableSize: TableSize,
		CompactionTotalSize: Level1Size,
		Filter:              filter.NewBloomFilter(BloomBitsPerKey),
	}
}
