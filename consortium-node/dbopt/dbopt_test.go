package dbopt

import (
	"testing"

	"github.com/syndtr/goleveldb/leveldb/opt"
)

// TestOptions pins what both databases rely on: strict journal, manifest
// and block checks, synced writes, the sizes and a bloom filter, and a
// fresh value per call (the node's store changes its copy).
func TestOptions(t *testing.T) {
	o := Options()
	want := opt.StrictManifest | opt.StrictJournalChecksum | opt.StrictJournal | opt.StrictBlockChecksum |
		opt.StrictCompaction
	if o.Strict != want {
		t.Errorf("Strict = %b, want %b", o.Strict, want)
	}
	if o.NoSync {
		t.Error("NoSync is set")
	}
	if o.WriteBuffer != WriteBuffer || o.CompactionTableSize != TableSize ||
		o.CompactionTotalSize != Level1Size {
		t.Errorf("sizes = %d, %d, %d; want %d, %d, %d", o.WriteBuffer, o.CompactionTableSize,
			o.CompactionTotalSize, WriteBuffer, TableSize, Level1Size)
	}
	if o.GetFilter() == nil || o.GetFilter().Name() != "leveldb.BuiltinBloomFilter" {
		t.Errorf("filter = %v, want goleveldb's bloom filter", o.GetFilter())
	}
	o.Strict |= opt.StrictReader
	if Options().Strict&opt.StrictReader != 0 {
		t.Error("Options shares its value between calls")
	}
}
