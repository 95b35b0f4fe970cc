package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/daemonflag"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/backup"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

const backupUsage = `usage: consortium-node backup --home H --node-api ADDR (--node ID | --as MEMBER) --out FILE
                              [--keystore DIR]

Streams a consistent backup of a running node (one database snapshot: ledger, raft log, private store) into
FILE, checked as it arrives. Sign as the node itself (--node, its key from H) or as an organisation admin of the
node's organisation (--as); no one else may take it. See docs/operations.md, "Backup and restore".
`

const restoreUsage = `usage: consortium-node restore --home H --node NEWID --from FILE --join-via ADDR [--old-key KEYFILE]
                               [--keystore DIR] [--drop-private]
       consortium-node restore --home H --node ID --from FILE --single-node

Restores a node backup into H/data/NEWID on a fresh machine, as a NEW node: first remove the lost node
(almoner node-change remove) and add NEWID with new keys and a new raft id (almoner keygen; almoner node-change
add); then restore and start it with run --join-via, and it catches up. Its private records' data keys are
rewrapped from the old node's key (--old-key, default the old node's key in H) to NEWID's. Restoring under the
old raft id is refused: a raft member that forgot its votes can vote twice. --single-node restores the only
node of a one-node consortium in place (the blocks after the backup are lost).
`

func cmdBackup(args []string) error {
	fs := daemonflag.Command("backup", backupUsage)
	home := homeFlag(fs, "genesis.json, keys/")
	addr := fs.String("node-api", "", "the API address of the node to back up (http://, https:// or host:port)")
	nodeID := fs.String("node", "", "sign as this node (the node being backed up), with its key")
	as := fs.String("as", "", "sign as this member: an organisation admin of the node's organisation")
	ksDir := keystoreFlag(fs, "the key")
	out := fs.String("out", "", "the archive file to write (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" || *out == "" || (*nodeID == "") == (*as == "") {
		fs.Usage()
		return errors.New("--node-api, --out and one of --node or --as are required")
	}
	g, err := genesis.Load(filepath.Join(*home, "genesis.json"))
	if err != nil {
		return err
	}
	id := *nodeID + *as
	_, key, err := genesis.LoadSignKey(*home, *ksDir, id)
	if err != nil {
		return err
	}
	keys := client.NewNodeKeys(g.NodeKeys())
	if *nodeID != "" { // a node added after genesis: its operator trusts its own key
		keys.Add(map[string]sign.PublicKey{id: key.Public()})
	}
	c := client.New(*addr, client.HTTPClient(keys))
	c.Authenticate(id, key)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, report, err := api.WriteBackupFileReport(*out, func(f *os.File) (*api.BackupHeader, error) {
		return c.Backup(ctx, f)
	})
	if err != nil {
		return err
	}
	if h.ChainID != g.ChainID {
		return fmt.Errorf("%s holds chain %q, not %q of %s (kept; check --node-api)", *out, h.ChainID, g.ChainID, *home)
	}
	fmt.Println(report)
	return nil
}

func cmdRestore(args []string) error {
	fs := daemonflag.Command("restore", restoreUsage)
	home := homeFlag(fs, "genesis.json, keys/, data/")
	nodeID := fs.String("node", "", "the node to restore as: a NEW node added after the backed-up one was removed")
	from := fs.String("from", "", "the archive (consortium-node backup)")
	joinVia := fs.String("join-via", "", "the API address of a running node, to read the consortium's current nodes")
	oldKey := fs.String("old-key", "", "the backed-up node's key file (default: its key in HOME/keys or --keystore), "+
		"to rewrap its private records")
	ksDir := keystoreFlag(fs, "keys")
	drop := fs.Bool("drop-private", false, "leave the private records out (only when the organisation's other nodes "+
		"hold copies)")
	single := fs.Bool("single-node", false, "restore the only node of a one-node consortium in place")
	logger := daemonflag.LogLevel(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *nodeID == "" || *from == "" || (*joinVia != "") == *single {
		fs.Usage()
		return errors.New("--node, --from and either --join-via or --single-node are required")
	}
	log, err := logger(os.Stderr)
	if err != nil {
		return err
	}
	g, err := genesis.Load(filepath.Join(*home, "genesis.json"))
	if err != nil {
		return err
	}
	_, key, err := genesis.LoadSignKey(*home, *ksDir, *nodeID)
	if err != nil {
		return err
	}
	cfg := backup.RestoreConfig{DataDir: filepath.Join(*home, "data", *nodeID), Genesis: g, DropPrivate: *drop,
		SingleNode: *single, Logger: log}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *single {
		me, ok := g.Node(*nodeID)
		if !ok {
			return fmt.Errorf("node %q is not in %s's genesis file", *nodeID, *home)
		}
		cfg.Node = me
	} else {
		cfg.Current, err = currentNodes(ctx, consortiumClient(g, *joinVia, *nodeID, key), *joinVia)
		if err != nil {
			return fmt.Errorf("%w (is %s added yet? almoner node-change add)", err, *nodeID)
		}
		me := findNode(cfg.Current, *nodeID)
		if me == nil {
			return fmt.Errorf("node %q is not in the consortium; add it first with almoner node-change add (a new raft id, "+
				"its new keys)", *nodeID)
		}
		cfg.Node = *me
	}
	cfg.OldEncKey = func(old string) (*envelope.ReaderKey, error) {
		var okf *genesis.KeyFile
		var err error
		if *oldKey != "" {
			okf, err = genesis.LoadKeyFile(*oldKey)
		} else {
			okf, err = genesis.LoadKeys(*home, *ksDir, old)
		}
		if err != nil {
			return nil, fmt.Errorf("%w (give the old node's key file with --old-key)", err)
		}
		return okf.ReaderKey()
	}
	f, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg.From = f
	rep, err := backup.Restore(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("restored %s into %s as %s (raft id %d) in %v: %d records; %d private record versions rewrapped, %d dropped\n",
		rep.Header.String(), cfg.DataDir, cfg.Node.ID, cfg.Node.RaftID, rep.Duration.Round(time.Millisecond), rep.Records,
		rep.Rewrapped, rep.Dropped)
	if *single {
		fmt.Printf("start it with:\n  consortium-node run --home %s --node %s\n"+
			"blocks after height %d are gone: rebuild portals' read models "+
			"(stop each portal, delete its index/ folder, start it)\n",
			*home, *nodeID, rep.Header.Height)
	} else {
		fmt.Printf("start it with:\n  consortium-node run --home %s --node %s --join-via %s\n", *home, *nodeID, *joinVia)
	}
	return nil
}
