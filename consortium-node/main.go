// Command consortium-node runs an Almoner consortium node.
//
//	consortium-node init --home DIR [--nodes N]   create a dev consortium
//	consortium-node run  --home DIR [--node ID]   run a node
//	consortium-node check --home DIR [--node ID]  scan a stopped node's store
//	consortium-node recover --home DIR [--node ID] --from ADDR   rebuild its damaged ledger
//
// A home folder holds genesis.json, keys/ (one key file per member and
// node) and data/<node id>/ (the node's database). `make run` uses
// .almoner/dev with one node.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/almoner/almoner/consortium-node/daemonflag"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/internal/transport"
)

func main() {
	os.Exit(realMain(os.Args[1:]))
}

const usage = `usage:
  consortium-node init --home DIR [--nodes N] [--chain-id ID] [--base-port P]
      create a development consortium (genesis.json and keys) in DIR
  consortium-node run --home DIR [--node ID] [--api ADDR] [--init-dev] [--pprof 127.0.0.1:PORT]
      run a node of the consortium in DIR
  consortium-node nodes --home DIR
      list the consortium's nodes: id, API address, raft address
  consortium-node check --home DIR [--node ID]
      scan a stopped node's database in full and name any damaged file
  consortium-node recover --home DIR [--node ID] [--from ADDR]
      rebuild a stopped node's damaged ledger, keeping its raft log, from a healthy node's blocks
  consortium-node backup --home DIR --node-api ADDR (--node ID | --as MEMBER) --out FILE
      stream a consistent backup of a running node into FILE
  consortium-node restore --home DIR --node NEWID --from FILE --join-via ADDR [--old-key KEYFILE]
      restore a node backup on a fresh machine as a new node, which then catches up
`

func realMain(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "init":
		err = cmdInit(args[1:])
	case "run":
		err = cmdRun(args[1:])
	case "nodes":
		err = cmdNodes(args[1:])
	case "check":
		err = cmdCheck(args[1:])
	case "recover":
		err = cmdRecover(args[1:])
	case "backup":
		err = cmdBackup(args[1:])
	case "restore":
		err = cmdRestore(args[1:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}

func cmdInit(args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	home := homeFlag(fs, "genesis.json, keys/, data/")
	nodes := fs.Int("nodes", 1, "number of nodes")
	chain := fs.String("chain-id", "almoner-dev", "chain id")
	port := fs.Int("base-port", 7070, "node i's API listens on base-port+i, its raft transport on base-port+100+i")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := devnet.Create(*home, devnet.Options{ChainID: *chain, Nodes: *nodes, BasePort: *port})
	if err != nil {
		return err
	}
	printConsortium(*home, f)
	return nil
}

func cmdNodes(args []string) error {
	fs := flag.NewFlagSet("nodes", flag.ContinueOnError)
	home := homeFlag(fs, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	g, _, err := loadGenesis(*home, "")
	if err != nil {
		return err
	}
	for _, n := range g.Nodes {
		fmt.Println(n.ID, n.APIAddr, n.RaftAddr)
	}
	return nil
}

// watchDropFile returns a drop filter fed by a file of raft ids that is
// re-read every 200ms (a missing or empty file drops nothing).
func watchDropFile(path string) func(uint64) bool {
	var cur atomic.Pointer[map[uint64]bool]
	load := func() {
		m := map[uint64]bool{}
		if b, err := os.ReadFile(path); err == nil {
			for _, f := range strings.Fields(string(b)) {
				if id, err := strconv.ParseUint(f, 10, 64); err == nil {
					m[id] = true
				}
			}
		}
		cur.Store(&m)
	}
	load()
	go func() {
		for range time.Tick(200 * time.Millisecond) {
			load()
		}
	}()
	return func(id uint64) bool { return (*cur.Load())[id] }
}

func printConsortium(home string, f *genesis.File) {
	fmt.Printf("Created consortium %q in %s\n  genesis: %s\n  keys:    %s (development keys, unencrypted)\n",
		f.ChainID, home, filepath.Join(home, "genesis.json"), filepath.Join(home, "keys"))
	fmt.Println("  demo accounts:")
	for _, m := range f.Members {
		fmt.Printf("    %-22s %s\n", m.ID, strings.Join(m.Roles, ", "))
	}
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	home := homeFlag(fs, "genesis.json, keys/, data/")
	nodeID := nodeFlag(fs)
	apiAddr := fs.String("api", "", "API listen address (default: the node's api_addr in genesis.json)")
	initDev := fs.Bool("init-dev", false, "create a one-node dev consortium in --home if it has none")
	daemon := daemonflag.Register(fs, "127.0.0.1:6060")
	serial := fs.Bool("serial", false, "execute blocks serially instead of with Block-STM (for comparison)")
	dropFile := fs.String("fault-drop-file", "", "for fault tests: a file listing raft ids (one per line) whose traffic this node drops; re-read every 200ms")
	snapEvery := fs.Uint64("snapshot-every", 0, "raft log entries between snapshots; the log keeps this many for lagging peers (default 10000)")
	ksDir := keystoreFlag(fs, "the node's keys")
	joinVia := fs.String("join-via", "", "for a node added after genesis (almoner node-change add): the API address of a running node to fetch this node's record from")
	memLimit := fs.Int64("memory-limit-mib", 1024, "soft memory limit for the Go runtime in MiB (debug.SetMemoryLimit; "+
		"$GOMEMLIMIT wins when set; 0: none): with the bounded mempool, submissions and raft log, the node's memory stays near it under overload")
	apiTLS := fs.Bool("api-tls", false, "serve the node API over TLS with the node key's self-signed certificate (clients pin the "+
		"consortium's node keys from genesis.json and the ledger)")
	raftListen := fs.String("raft-listen", "", "raft transport listen address (default: the node's raft_addr in genesis.json)")
	verifyBlocks := fs.Int("verify-blocks", store.DefaultVerifyBlocks, "at start, verify the last N blocks (header chain, "+
		"hashes, Merkle roots, the head record) before serving or voting; 0: none")
	verifyMiB := fs.Int64("verify-table-mib", store.DefaultScanTableBytes>>20, "at start, read up to this many MiB of the "+
		"newest table files with goleveldb's block checksums (every table's index and the journals are read regardless); 0: none")
	diskFile := fs.String("fault-disk-file", "", "for fault tests: a file that sets the free space of the node's disk "+
		"(\"full\", a number of bytes, or empty/missing: unlimited); re-read every 100ms")
	uploadGrace := fs.Duration("upload-grace", node.DefaultUploadGrace, "how long this custodian node keeps a record upload "+
		"that no committed record.register names (a registration the ledger refused, or never sent) before its sweep "+
		"destroys the ciphertext and data key; at least 1m")
	log, stopProf, err := daemon.Parse(args, os.Stderr)
	if err != nil {
		return err
	}
	defer stopProf()
	if *memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(*memLimit << 20)
	}

	gpath := filepath.Join(*home, "genesis.json")
	if _, err := os.Stat(gpath); errors.Is(err, os.ErrNotExist) && *initDev {
		f, err := devnet.Create(*home, devnet.Options{Nodes: 1})
		if err != nil {
			return err
		}
		printConsortium(*home, f)
	}
	g, id, err := loadGenesis(*home, *nodeID)
	if err != nil {
		return fmt.Errorf("%w (create a dev consortium with: consortium-node init --home %s)", err, *home)
	}
	*nodeID = id
	cfg, err := nodeConfig(*home, *ksDir, g, *nodeID, log)
	if err != nil {
		return err
	}
	me, ok := g.Node(*nodeID)
	if !ok && *joinVia != "" {
		nodes, err := currentNodes(context.Background(), consortiumClient(g, *joinVia, *nodeID, cfg.Key), *joinVia)
		if err != nil {
			return err
		}
		if cfg.Join = findNode(nodes, *nodeID); cfg.Join != nil {
			me, ok = *cfg.Join, true
		}
	}
	if !ok {
		return fmt.Errorf("node %q is not in %s nor (with --join-via) in the consortium's current nodes; add it with almoner node-change add", *nodeID, gpath)
	}
	if *apiAddr == "" {
		*apiAddr = me.APIAddr
	}
	if *serial {
		cfg.Executor = node.SerialExecutor{}
	}
	cfg.RaftListen = *raftListen
	cfg.Sweep.Grace = *uploadGrace
	cfg.VerifyBlocks, cfg.VerifyTableBytes = *verifyBlocks, *verifyMiB<<20
	if *verifyBlocks == 0 {
		cfg.VerifyBlocks = -1
	}
	if *verifyMiB == 0 {
		cfg.VerifyTableBytes = -1
	}
	if *diskFile != "" {
		disk := watchDiskFile(*diskFile, log)
		cfg.WrapStorage = disk.Wrap
		cfg.WrapRaftLog = func(p string, f consensus.File) consensus.File { return disk.WrapFile(p, f) }
		log.Warn("fault injection enabled: the node's disk space is set by the file", "file", *diskFile)
	}
	cfg.SnapshotEvery = *snapEvery
	if *dropFile != "" {
		cfg.Drop = watchDropFile(*dropFile)
		log.Warn("fault injection enabled: dropping traffic of the peers listed in the file", "file", *dropFile)
	}
	n, err := node.OpenWhenWritable(context.Background(), cfg) // waits while the disk is full
	if err != nil {
		return err
	}
	routes := &apiSwitch{log: log} // follows the node across reopens after a full disk (resume.go)
	if err := routes.serve(n); err != nil {
		n.Close()
		return err
	}
	ln, err := net.Listen("tcp", *apiAddr)
	if err != nil {
		n.Close()
		return fmt.Errorf("API address %s: %w (is another node running? use --api to pick another)", *apiAddr, err)
	}
	scheme := "http"
	if *apiTLS {
		cert, err := transport.Certificate(*nodeID, cfg.Key)
		if err != nil {
			n.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}})
		scheme = "https"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: routes, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("API server", "err", err)
			stop()
		}
	}()
	head := n.Head()
	log.Info("node started", "chain", g.ChainID, "node", *nodeID, "api", scheme+"://"+ln.Addr().String(), "height", head.Height)
	cliFlags := ""
	if *home != defaultHome || ln.Addr().String() != "127.0.0.1:7070" || *apiTLS {
		cliFlags = fmt.Sprintf(" --home %s --node %s://%s", *home, scheme, ln.Addr())
	}
	fmt.Fprintf(os.Stderr, `
Almoner node %s of chain %q is running (%d node(s) in the consortium).
  API:     %s://%s/v1/status
  Try the CLI (in another terminal):
    bin/almoner status%s
    bin/almoner tx%s --as stmarys/admin identity add_member id=stmarys/nurse-1 roles:strings=records_clerk --new-keys
    bin/almoner block latest%s
  Press Ctrl-C to stop.

`, *nodeID, g.ChainID, len(g.Nodes), scheme, ln.Addr(), cliFlags, cliFlags, cliFlags)
	// A full disk stalls the node and, once space returns, reopens it
	// (node.RunResuming): only divergence or corruption halts it.
	n, runErr := node.RunResuming(ctx, n, routes.serve)
	if runErr != nil && ctx.Err() == nil {
		// Halted (divergence or a corrupt store): keep answering
		// GET /v1/status with the reason — blocks, proofs and submissions
		// are refused — until the operator stops the node.
		log.Error("node halted; it serves only its status now; see docs/operations.md (the halt, \"Corruption\")",
			"err", runErr)
		<-ctx.Done()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if n != nil {
		if err := n.Close(); err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr != nil {
		return runErr
	}
	log.Info("node stopped cleanly")
	return nil
}
