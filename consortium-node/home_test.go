package main

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/nodetest"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
)

// TestHomeHelpers: the genesis file and the default node of a home, a
// node's keys (its X-Wing key matching its genesis record), and a node
// found in a directory.
func TestHomeHelpers(t *testing.T) {
	home := t.TempDir()
	f, err := devnet.Create(home, devnet.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	g, id, err := loadGenesis(home, "")
	if err != nil || g.ChainID != f.ChainID || id != f.Nodes[0].ID {
		t.Fatalf("loadGenesis(home, \"\") = %v, %q, %v; want chain %q, node %q", g, id, err, f.ChainID, f.Nodes[0].ID)
	}
	if _, id, _ := loadGenesis(home, f.Nodes[1].ID); id != f.Nodes[1].ID {
		t.Errorf("loadGenesis with a node id = %q, want %q", id, f.Nodes[1].ID)
	}
	if _, _, err := loadGenesis(t.TempDir(), ""); err == nil {
		t.Error("loadGenesis of an empty folder: no error")
	}
	me := f.Nodes[1]
	key, enc, err := nodeKeys(home, "", me.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Destroy()
	if !bytes.Equal(key.Public().Key, me.SignKey.Key) || !bytes.Equal(enc.PublicKey(), me.EncKey.Key) {
		t.Error("nodeKeys returned keys other than the node's genesis keys")
	}
	if _, _, err := nodeKeys(home, "", "nobody"); err == nil {
		t.Error("nodeKeys of an unknown node: no error")
	}
	if n := findNode(g.Nodes, me.ID); n == nil || n.ID != me.ID || n.RaftID != me.RaftID {
		t.Errorf("findNode(%s) = %v", me.ID, n)
	}
	if n := findNode(g.Nodes, "nobody"); n != nil {
		t.Errorf("findNode(nobody) = %v, want nil", n)
	}
	log := slog.New(slog.DiscardHandler)
	cfg, err := nodeConfig(home, "", g, me.ID, log)
	if err != nil {
		t.Fatal(err)
	}
	defer cfg.EncKey.Destroy()
	if cfg.DataDir != filepath.Join(home, "data", me.ID) || cfg.NodeID != me.ID || cfg.Genesis != g || cfg.Logger != log ||
		!bytes.Equal(cfg.Key.Public().Key, me.SignKey.Key) || !bytes.Equal(cfg.EncKey.PublicKey(), me.EncKey.Key) {
		t.Errorf("nodeConfig(%s) = %+v: want its data folder, id, genesis, logger and keys", me.ID, cfg)
	}
	if _, err := nodeConfig(home, "", g, "nobody", log); err == nil {
		t.Error("nodeConfig of an unknown node: no error")
	}
}

// TestCurrentNodes: the consortium's nodes as a running node serves them; an address that does not answer is
// named in the error.
func TestCurrentNodes(t *testing.T) {
	n := nodetest.Start(t)
	id := n.Genesis.Nodes[0].ID
	key, _, err := nodeKeys(n.Home, "", id)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := currentNodes(context.Background(), consortiumClient(n.Genesis, n.URL, id, key), n.URL)
	if err != nil || len(nodes) != 1 || nodes[0].ID != id || nodes[0].RaftID != n.Genesis.Nodes[0].RaftID {
		t.Fatalf("currentNodes of a one-node consortium: %v, %v; want its node %s", nodes, err, id)
	}
	dead := freeport.Addr(t)
	if _, err := currentNodes(context.Background(), consortiumClient(n.Genesis, dead, id, key), dead); err == nil ||
		!strings.Contains(err.Error(), dead) {
		t.Errorf("currentNodes of %s, where nothing listens: %v, want an error naming it", dead, err)
	}
}

// TestHomeFlags: the flags every subcommand declares the same way keep the
// names, defaults and help texts users see (spelled out as --help prints
// them), and parse.
func TestHomeFlags(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	home := homeFlag(fs, "genesis.json, keys/")
	ks := keystoreFlag(fs, "the node's keys")
	node := nodeFlag(fs)
	want := map[string][2]string{
		"home": {".almoner/dev", "consortium folder (genesis.json, keys/)"},
		"keystore": {"", "read the node's keys from this keystore (passphrase in $ALMONER_KEYSTORE_PASSPHRASE) " +
			"instead of HOME/keys"},
		"node": {"", "node id (default: the first node in genesis.json)"},
	}
	fs.VisitAll(func(f *flag.Flag) {
		if w, ok := want[f.Name]; !ok || f.DefValue != w[0] || f.Usage != w[1] {
			t.Errorf("--%s: default %q, help %q; want %q", f.Name, f.DefValue, f.Usage, w)
		}
		delete(want, f.Name)
	})
	if len(want) != 0 {
		t.Errorf("not declared: %v", want)
	}
	if err := fs.Parse([]string{"--home", "h", "--keystore", "k", "--node", "n"}); err != nil {
		t.Fatal(err)
	}
	if *home != "h" || *ks != "k" || *node != "n" {
		t.Fatalf("parsed %q %q %q", *home, *ks, *node)
	}

	bare := flag.NewFlagSet("t", flag.ContinueOnError)
	homeFlag(bare, "")
	if u := bare.Lookup("home").Usage; u != "consortium folder" {
		t.Fatalf("--home with nothing listed: help %q", u)
	}
}
