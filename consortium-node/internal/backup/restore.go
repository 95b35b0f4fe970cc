package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/privacy/envelope"
)

// Errors of a restore. ErrUnsafe refuses a restore that could break raft
// or privacy; its message says what to do instead.
var (
	ErrUnsafe     = errors.New("backup: unsafe restore refused")
	ErrWrongChain = errors.New("backup: the archive is of another chain")
	ErrTarget     = errors.New("backup: the target folder is in use")
)

// privatePrefix is the private store's key prefix (privatestore).
const privatePrefix = "p/"

// RestoreConfig configures a restore.
type RestoreConfig struct {
	// From is the archive.
	From io.Reader
	// DataDir is the restored node's data folder (HOME/data/<node id>).
	// It must not exist, or be empty.
	DataDir string
	// Genesis is the consortium's genesis file: the archive must be of
	// its chain.
	Genesis *genesis.File
	// Node is the record of the node the backup is restored as, as the
	// consortium's ledger holds it now: a node added by governance after
	// the backed-up node was removed, with a raft id of its own (raft ids
	// are never reused) and new keys. With SingleNode it is the backed-up
	// node's own record.
	Node consortium.Node
	// Current are the consortium's nodes now (GET /v1/nodes of a running
	// node). Required unless SingleNode.
	Current []consortium.Node
	// OldEncKey returns the X-Wing key of the backed-up node (its key
	// file's enc_seed), to rewrap the private store's data keys for Node.
	// It is called only when the archive holds private records.
	OldEncKey func(oldNodeID string) (*envelope.ReaderKey, error)
	// DropPrivate leaves the private store's ciphertexts and data keys
	// out instead (the organisation's other nodes hold copies).
	DropPrivate bool
	// SingleNode restores the only node of a one-node consortium under
	// its own id: there is no other member to rejoin, and the blocks after
	// the backup are lost. The archive's ledger must list that one node.
	SingleNode bool
	Logger     *slog.Logger
}

// Validate checks the config and fills defaults.
func (c *RestoreConfig) Validate() error {
	switch {
	case c.From == nil || c.DataDir == "" || c.Genesis == nil:
		return errors.New("backup: From, DataDir and Genesis are required")
	case c.Node.ID == "" || c.Node.RaftID == 0:
		return errors.New("backup: the node record to restore as is required")
	case !c.SingleNode && len(c.Current) == 0:
		return errors.New("backup: the consortium's current nodes are required (from --join-via)")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Report says what a restore did.
type Report struct {
	Header api.BackupHeader
	// Records is the number of database records restored.
	Records int64
	// Rewrapped is the number of private record versions whose data key
	// was rewrapped for the new node; Dropped, those left out.
	Rewrapped, Dropped int
	// RaftIndex is the index of the reseeded raft snapshot.
	RaftIndex uint64
	Duration  time.Duration
}

// CheckHeader refuses, before anything is read past the header, an
// archive of another chain or organisation, or a target node that would
// make the restore unsafe for raft (see the package doc).
func CheckHeader(h *api.BackupHeader, c *RestoreConfig) error {
	if h.Kind != api.BackupNode {
		return fmt.Errorf("%w: this is a %s backup, not a node's", ErrUnsafe, h.Kind)
	}
	if h.ChainID != c.Genesis.ChainID {
		return fmt.Errorf("%w: the archive is of chain %q, the consortium's genesis file is of %q",
			ErrWrongChain, h.ChainID, c.Genesis.ChainID)
	}
	if c.Node.Org != h.Org {
		return fmt.Errorf("%w: the archive holds %s's data (its private records); restore it as a node of %s, not %s's %s",
			ErrUnsafe, h.Org, h.Org, c.Node.Org, c.Node.ID)
	}
	if c.SingleNode {
		if c.Node.ID != h.Node || c.Node.RaftID != h.RaftID {
			return fmt.Errorf("%w: a one-node consortium's node is restored as itself (%s), not as %s",
				ErrUnsafe, h.Node, c.Node.ID)
		}
		return nil
	}
	howto := fmt.Sprintf("remove it (almoner node-change remove --node-id %s), add a new node with new keys and a new raft id "+
		"(almoner keygen; almoner node-change add), then restore as that node (--node NEWID)", h.Node)
	if c.Node.RaftID == h.RaftID {
		return fmt.Errorf("%w: node %s would come back under raft id %d, which voted before; a restored raft member "+
			"that forgot its votes can vote twice in one term: %s", ErrUnsafe, h.Node, h.RaftID, howto)
	}
	var me *consortium.Node
	for i, n := range c.Current {
		switch {
		case n.RaftID == h.RaftID:
			return fmt.Errorf("%w: the backed-up node %s (raft id %d) is still a member of the consortium; %s",
				ErrUnsafe, n.ID, n.RaftID, howto)
		case n.ID == h.Node:
			return fmt.Errorf("%w: node id %s was given to a new node (raft id %d); the restored blocks carry the old "+
				"node's signatures under that id, so restore as a node with an id of its own: %s", ErrUnsafe, n.ID, n.RaftID, howto)
		}
		if n.ID == c.Node.ID {
			me = &c.Current[i]
		}
	}
	if me == nil || me.RaftID != c.Node.RaftID || !me.SignKey.Equal(c.Node.SignKey) ||
		string(me.EncKey.Key) != string(c.Node.EncKey.Key) {
		return fmt.Errorf("%w: node %s is not in the consortium with this record; add it first (almoner node-change add)",
			ErrUnsafe, c.Node.ID)
	}
	return nil
}

// Restore restores the archive into cfg.DataDir as node cfg.Node. On any
// error nothing is left at DataDir (a staging folder beside it is
// removed).
func Restore(ctx context.Context, cfg RestoreConfig) (*Report, error) {
	start := time.Now()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := targetFree(cfg.DataDir); err != nil {
		return nil, err
	}
	br, err := api.NewBackupReader(cfg.From)
	if err != nil {
		return nil, err
	}
	h := br.Header()
	if err := CheckHeader(&h, &cfg); err != nil {
		return nil, err
	}
	stage, err := api.StageRestore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	defer stage.Abandon()
	db, err := store.OpenDB(filepath.Join(stage.Dir(), "db"))
	if err != nil {
		return nil, err
	}
	rep := &Report{Header: h}
	err = func() error {
		defer db.Close()
		n, err := load(ctx, br, db)
		rep.Records = n
		if err != nil {
			return err
		}
		cfg.Logger.Info("backup archive loaded; checksum verified", "records", n, "archive", h.String())
		if err := checkLedger(db, &h, &cfg); err != nil {
			return err
		}
		if err := rewrapPrivate(db, &h, &cfg, rep); err != nil {
			return err
		}
		rep.RaftIndex, err = node.ReseedRaft(db)
		return err
	}()
	if err != nil {
		return nil, err
	}
	// An empty target folder may exist (checked above); Commit replaces it.
	if err := stage.Commit(); err != nil {
		return nil, err
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// targetFree checks that dir does not exist or is an empty folder.
func targetFree(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTarget, err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("%w: %s is not empty; restore into a fresh folder (never over a node's data)", ErrTarget, dir)
	}
	return nil
}

// load writes the archive's records into db, in fsynced batches, and
// returns once the archive's checksum has been verified.
func load(ctx context.Context, br *api.BackupReader, db *leveldb.DB) (int64, error) {
	const batchBytes = 4 << 20
	b := new(leveldb.Batch)
	var n int64
	size := 0
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := db.Write(b, &opt.WriteOptions{Sync: true})
		b.Reset()
		size = 0
		return err
	}
	for {
		e, err := br.Next()
		if errors.Is(err, io.EOF) {
			return n, flush()
		}
		if err != nil {
			return n, err
		}
		if e.IsFile() {
			return n, fmt.Errorf("%w: a node archive holds a file (%s)", api.ErrBackupCorrupt, e.Name)
		}
		b.Put(e.Key, e.Value)
		n++
		size += len(e.Key) + len(e.Value)
		if size >= batchBytes {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
}

// stateGetter reads committed state for the contracts' loaders.
type stateGetter struct{ g store.Getter }

func (s stateGetter) Get(k string) ([]byte, bool) {
	v, ok, err := store.StateIn(s.g, k)
	return v, ok && err == nil
}

// checkLedger checks the restored ledger: the chain's genesis block, a
// head that matches the archive's header and links back to genesis, no
// halt, and the backed-up node in its own ledger (the only one, with
// SingleNode).
func checkLedger(db *leveldb.DB, h *api.BackupHeader, c *RestoreConfig) error {
	st, err := store.New(db)
	if err != nil {
		return err
	}
	head, ok := st.Head()
	if !ok || head.Height != h.Height || head.Hash != h.Hash {
		return fmt.Errorf("%w: the restored head %d/%s is not the archive's %d/%s",
			api.ErrBackupCorrupt, head.Height, head.Hash, h.Height, h.Hash)
	}
	if reason, halted, err := st.Halted(); err != nil {
		return err
	} else if halted {
		return fmt.Errorf("%w: the backed-up node had halted (%s); back up a healthy node", ErrUnsafe, reason)
	}
	gb, _, err := genesisstate.Block(c.Genesis)
	if err != nil {
		return err
	}
	prev := gb.Header.Hash()
	for height := uint64(0); height <= head.Height; height++ {
		b, err := st.Block(height)
		if err != nil {
			return err
		}
		hash := b.Header.Hash()
		switch {
		case height == 0 && hash != prev:
			return fmt.Errorf("%w: the archive's genesis block is not the consortium's", ErrWrongChain)
		case height > 0 && b.Header.PrevHash != prev:
			return fmt.Errorf("%w: block %d does not link to block %d", store.ErrCorrupt, height, height-1)
		}
		prev = hash
	}
	if prev != head.Hash {
		return fmt.Errorf("%w: the head record does not name the last block", store.ErrCorrupt)
	}
	nodes, err := consortium.LoadNodes(stateGetter{db})
	if err != nil {
		return err
	}
	found := false
	for _, n := range nodes {
		found = found || (n.ID == h.Node && n.RaftID == h.RaftID)
	}
	switch {
	case !found:
		return fmt.Errorf("%w: node %s (raft id %d) is not in the archive's own ledger", api.ErrBackupCorrupt, h.Node, h.RaftID)
	case c.SingleNode && len(nodes) != 1:
		return fmt.Errorf("%w: the consortium had %d nodes at the backup; restore as a new node instead (--join-via)",
			ErrUnsafe, len(nodes))
	}
	return nil
}

// rewrapPrivate rewraps the private store's data keys for the restored
// node, or drops them with DropPrivate. With SingleNode the node keeps
// its id and keys, and nothing changes.
func rewrapPrivate(db *leveldb.DB, h *api.BackupHeader, c *RestoreConfig, rep *Report) error {
	if c.SingleNode && c.Node.ID == h.Node && string(c.Node.EncKey.Key) == string(oldEncKey(db, h)) {
		return nil
	}
	held := 0
	it := db.NewIterator(util.BytesPrefix([]byte(privatePrefix+"dk/")), nil)
	for it.Next() {
		held++
	}
	it.Release()
	if err := it.Error(); err != nil {
		return err
	}
	if held == 0 {
		return nil
	}
	if c.DropPrivate {
		b := new(leveldb.Batch)
		for _, p := range []string{privatePrefix + "ct/", privatePrefix + "dk/"} {
			it := db.NewIterator(util.BytesPrefix([]byte(p)), nil)
			for it.Next() {
				b.Delete(append([]byte(nil), it.Key()...))
			}
			it.Release()
		}
		rep.Dropped = held
		return db.Write(b, &opt.WriteOptions{Sync: true})
	}
	if c.OldEncKey == nil {
		return fmt.Errorf("%w: the archive holds %d private record versions whose data keys are wrapped to node %s's key: "+
			"give that node's key file (--old-key), or leave them out (--drop-private) if %s's other nodes hold copies",
			ErrUnsafe, held, h.Node, h.Org)
	}
	key, err := c.OldEncKey(h.Node)
	if err != nil {
		return fmt.Errorf("backup: node %s's encryption key, to rewrap its %d private record versions: %w", h.Node, held, err)
	}
	if want := oldEncKey(db, h); string(key.PublicKey()) != string(want) {
		return fmt.Errorf("%w: the key given is not node %s's encryption key on the ledger", ErrUnsafe, h.Node)
	}
	n, err := privatestore.Rekey(db, h.Node, key, c.Node.ID, c.Node.EncKey.Key)
	rep.Rewrapped = n
	return err
}

// oldEncKey is the backed-up node's X-Wing public key in its own ledger.
func oldEncKey(db *leveldb.DB, h *api.BackupHeader) []byte {
	nodes, _ := consortium.LoadNodes(stateGetter{db})
	for _, n := range nodes {
		if n.ID == h.Node {
			return n.EncKey.Key
		}
	}
	return nil
}
