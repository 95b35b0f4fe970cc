package main

import (
	"bytes"
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis/devnet"
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
}
