package node

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/privacy/integrity"
)

// Start-up verification: before a node serves or votes, it checks what it
// will serve. Open reads the database files (store.Open: the journals and
// manifest record by record, every table's index and, newest first, up to
// Config.VerifyTableBytes of table data with goleveldb's block checksums),
// then the chain (store.VerifyChain over the last Config.VerifyBlocks
// blocks: the header chain's parent hashes and heights, each block's hash
// and Merkle roots, the head record), and opening raft reads the whole
// raft log (openRaftLog: every record's checksum; checkRaftLog: it reaches
// the ledger's applied index). A corrupt store refuses to start with
// ErrCorruptStore, which names the file when goleveldb or the raft log
// does and says how to recover.

// ErrCorruptStore refuses to start a node on a store that failed its
// checks; it also wraps the integrity failure found (store.ErrCorrupt,
// consensus.ErrCorrupt...), and is integrity.ErrFailed itself.
var ErrCorruptStore = integrity.New("node: the store is corrupt")

// RecoveryHint says what to do about a corrupt store.
const RecoveryHint = "run `consortium-node check` for a full report, then recover it (docs/operations.md, " +
	"\"Corruption\"): `consortium-node recover --from PEER-API` rebuilds the ledger from the node's own raft log " +
	"and a healthy node's blocks; if the raft log itself is damaged, replace the node (`consortium-node restore` " +
	"of a backup under a new node record, or a new node with --join-via)"

// corruptStore wraps a corruption found at start with ErrCorruptStore and
// the recovery hint.
func corruptStore(dir string, err error) error {
	file := ""
	if f := store.CorruptFile(err); f != "" {
		file = " (file " + filepath.Join(dir, f) + ")"
	}
	return fmt.Errorf("%w%s: %w; the node does not run on a corrupt store: %s", ErrCorruptStore, file, err, RecoveryHint)
}

// isCorruption reports whether err reports bad data on disk: an integrity
// failure (the store's, the raft log's, the private store's: they all wrap
// integrity.ErrFailed) or goleveldb's own corruption errors. Only errors of
// reading the node's own data reach it: bytes a peer or client sent are
// refused where they arrive and never halt the node.
func isCorruption(err error) bool { return store.Corruption(err) }

// openStore opens and verifies the node's database (see above).
func openStore(cfg Config) (*store.Disk, error) {
	dir := filepath.Join(cfg.DataDir, "db")
	disk, err := store.Open(dir, store.OpenOptions{Wrap: cfg.WrapStorage, ScanTableBytes: cfg.VerifyTableBytes})
	if err != nil {
		if isCorruption(err) {
			return nil, corruptStore(dir, err)
		}
		return nil, err
	}
	if disk.DroppedTail {
		cfg.Logger.Warn("dropped a torn journal or manifest tail left by a crash or a full disk (a write that was never "+
			"acknowledged)", "dir", dir)
	}
	st, err := store.New(disk.DB)
	if err == nil {
		err = forgetWriteHalt(st, cfg)
	}
	var rep *store.VerifyReport
	if err == nil {
		rep, err = verifyChain(st, cfg.VerifyBlocks)
	}
	if err != nil {
		disk.Close()
		if isCorruption(err) {
			return nil, corruptStore(dir, err)
		}
		return nil, err
	}
	if rep != nil {
		cfg.Logger.Info("verified the store", "tables", disk.Scan.Tables, "tables_read", disk.Scan.TablesRead,
			"table_bytes", disk.Scan.TableBytes, "journals", disk.Scan.Journals, "files_took", disk.Scan.Took,
			"blocks", rep.Blocks, "from", rep.From, "head", rep.Head, "blocks_took", rep.Took)
	}
	return disk, nil
}

// verifyChain checks the last blocks (none when last is negative; nil
// report for a new database).
func verifyChain(st *store.Store, last int) (*store.VerifyReport, error) {
	head, ok := st.Head()
	if !ok || last < 0 {
		return nil, nil
	}
	from := uint64(0)
	if head.Height >= uint64(last) {
		from = head.Height - uint64(last) + 1
	}
	return store.VerifyChain(st, from)
}

// forgetWriteHalt removes a halt record that an older version wrote after
// a write failure (a full disk): that is no reason to stay halted, and the
// chain is verified next.
func forgetWriteHalt(st *store.Store, cfg Config) error {
	reason, halted, err := st.Halted()
	if err != nil || !halted {
		return err
	}
	low := strings.ToLower(reason)
	if strings.Contains(low, "diverged") || strings.Contains(low, "corrupt") || strings.Contains(low, "does not match") ||
		!(strings.Contains(low, "no space left on device") || strings.Contains(low, "disk quota exceeded")) {
		return nil
	}
	cfg.Logger.Warn("clearing a halt recorded for a full disk: a write failure is not a reason to stay halted",
		"reason", reason)
	return st.ClearHalted()
}

// readFailed halts the node when a read of what it serves finds corruption
// (a block failing goleveldb's checksum): it stops rather than serve or
// vote on a damaged store. Other errors are returned as they are.
func (n *Node) readFailed(err error) error {
	if err == nil || !isCorruption(err) {
		return err
	}
	err = corruptStore(filepath.Join(n.cfg.DataDir, "db"), err)
	n.halt(err)
	return err
}
