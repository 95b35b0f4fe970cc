package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.etcd.io/raft/v3"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/daemonflag"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/internal/store"
)

const checkUsage = `usage: consortium-node check --home H [--node ID]

Scans a stopped node's database in full: every table, journal and manifest record with goleveldb's checksums,
every record once, the whole header chain (parent hashes, heights, block hashes, Merkle roots, the hash and tx
indexes, the head record), the genesis block and the raft log. It names a damaged file and says how to recover
(docs/operations.md, "Corruption"). Exit status 1 when anything is wrong.
`

const recoverUsage = `usage: consortium-node recover --home H [--node ID] [--from ADDR] [--keystore DIR]

Rebuilds the ledger of a stopped node whose store is damaged (check, or run refusing to start, said so). The
node's raft log and private store are kept as they are (it refuses if they cannot be read: then replace the
node, see docs/operations.md, "Corruption"); the ledger is rebuilt up to the node's own raft snapshot from the
blocks of a healthy node (--from its API address, read with this node's key), each replayed and checked, and
the damaged database is moved aside. Then start the node: it applies the rest of its raft log and catches up.
`

func cmdCheck(args []string) error {
	fs := daemonflag.Command("check", checkUsage)
	home := homeFlag(fs, "genesis.json, data/")
	nodeID := nodeFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	g, id, err := loadGenesis(*home, *nodeID)
	if err != nil {
		return err
	}
	*nodeID = id
	dir := filepath.Join(*home, "data", *nodeID, "db")
	if _, err := os.Stat(filepath.Join(dir, "CURRENT")); err != nil {
		return fmt.Errorf("no database of node %s in %s: %w", *nodeID, dir, err)
	}
	err = check(os.Stdout, g, dir)
	if err != nil && store.Corruption(err) { // integrity failures of the store and the raft log
		return fmt.Errorf("%w\nThe node does not run on this store. Recover it (docs/operations.md, \"Corruption\"):\n"+
			"  consortium-node recover --home %s --node %s --from <a healthy node's API address>\n"+
			"If recover says the raft log or the private store is damaged, replace the node from a backup "+
			"(consortium-node restore) under a new node record", err, *home, *nodeID)
	}
	return err
}

// check runs the full check of the database in dir, printing what it read.
func check(w *os.File, g *genesis.File, dir string) error {
	start := time.Now()
	scan, err := store.ScanFiles(dir, math.MaxInt64)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "files:   %d tables (%.1f MiB, every block checksum), %d journal(s), %s: ok\n",
		scan.Tables, float64(scan.TableBytes)/(1<<20), scan.Journals, scan.Manifest)
	if scan.TornJournal || scan.TornManifest {
		fmt.Fprintln(w, "         a torn last record (a write cut off by a crash or a full disk, never acknowledged) "+
			"will be dropped on open")
	}
	disk, err := store.Open(dir, store.OpenOptions{ReadOnly: true, Salvage: true})
	if err != nil {
		return err
	}
	defer disk.Close()
	st, err := store.New(disk.DB)
	if err != nil {
		return err
	}
	rep, err := store.VerifyAll(st)
	if err != nil {
		return err
	}
	head, _ := st.Head()
	fmt.Fprintf(w, "chain:   %d blocks, %d txs, %d records: ok; head %d %s, state %s\n",
		rep.Blocks, rep.Txs, rep.Keys, head.Height, head.Hash, head.StateHash)
	gb, _, err := genesisstate.Block(g)
	if err != nil {
		return err
	}
	if b0, err := st.Block(0); err != nil {
		return err
	} else if b0.Header.Hash() != gb.Header.Hash() {
		return fmt.Errorf("%w: the database holds chain %q, not this genesis file's %q", store.ErrCorrupt,
			b0.Header.ChainID, g.ChainID)
	}
	rs, err := node.ReadRaftLog(filepath.Dir(dir), disk.DB)
	if err != nil {
		return err
	}
	defer rs.Close()
	hs, _, _ := rs.InitialState()
	first, _ := rs.FirstIndex()
	last, _ := rs.LastIndex()
	snap, _ := rs.Snapshot()
	si := uint64(0)
	if !raft.IsEmptySnap(snap) {
		var sh store.Head
		if err := codec.Ledger.Unmarshal(snap.GetData(), &sh); err != nil {
			return fmt.Errorf("%w: the raft snapshot's head: %v", store.ErrCorrupt, err)
		}
		si = snap.GetMetadata().GetIndex()
		if sh.Height > head.Height {
			return fmt.Errorf("%w: the raft snapshot stands for height %d, above the ledger's head %d", store.ErrCorrupt,
				sh.Height, head.Height)
		}
		if b, err := st.Block(sh.Height); err != nil {
			return err
		} else if b.Header.Hash() != sh.Hash {
			return fmt.Errorf("%w: the raft snapshot names block %d %s, the ledger holds %s", store.ErrCorrupt, sh.Height,
				sh.Hash, b.Header.Hash())
		}
	}
	fmt.Fprintf(w, "raft:    log %d..%d, commit %d, term %d, snapshot at %d; ledger applied up to %d: ok\n",
		first, last, hs.GetCommit(), hs.GetTerm(), si, head.Applied)
	if reason, halted, err := st.Halted(); err != nil {
		return err
	} else if halted {
		fmt.Fprintf(w, "halted:  %s\n", reason)
	}
	fmt.Fprintf(w, "ok (%v)\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdRecover(args []string) error {
	fs := daemonflag.Command("recover", recoverUsage)
	home := homeFlag(fs, "genesis.json, keys/, data/")
	nodeID := nodeFlag(fs)
	from := fs.String("from", "", "the API address of a healthy node of the consortium to fetch blocks from")
	ksDir := keystoreFlag(fs, "the node's keys")
	if err := fs.Parse(args); err != nil {
		return err
	}
	g, id, err := loadGenesis(*home, *nodeID)
	if err != nil {
		return err
	}
	*nodeID = id
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := nodeConfig(*home, *ksDir, g, *nodeID, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var src node.BlockSource
	if *from != "" {
		c := consortiumClient(g, *from, *nodeID, cfg.Key)
		src = c
		if _, ok := g.Node(*nodeID); !ok { // added after genesis: its record is on the ledger
			nodes, err := currentNodes(ctx, c, *from)
			if err != nil {
				return err
			}
			cfg.Join = findNode(nodes, *nodeID)
		}
	}
	rep, err := node.Recover(ctx, cfg, src)
	if err != nil {
		return err
	}
	fmt.Printf("Recovered node %s in %v: kept %d records (raft log, private store); rebuilt the ledger to height %d "+
		"(block %s, state %s), the head of its raft snapshot at index %d, replaying %d fetched blocks.\n"+
		"The damaged database is in %s (delete it once the node runs).\n"+
		"Start the node (consortium-node run --home %s --node %s): it applies the rest of its raft log and catches up.\n",
		*nodeID, rep.Took.Round(time.Millisecond), rep.Kept, rep.Target.Height, rep.Target.Hash, rep.Target.StateHash,
		rep.SnapshotIndex, rep.Fetched, rep.Damaged, *home, *nodeID)
	return nil
}
