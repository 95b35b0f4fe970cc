package devtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
)

// TestOneNode: the one-node consortium's node key signs for the node genesis names, and SignKeys loads every
// member's key as genesis holds it.
func TestOneNode(t *testing.T) {
	dir, g, key := OneNode(t)
	if len(g.Nodes) != 1 {
		t.Fatalf("%d nodes", len(g.Nodes))
	}
	if !key.Public().Equal(g.Nodes[0].SignKey) {
		t.Fatalf("node key %s, genesis holds %s", key.Public(), g.Nodes[0].SignKey)
	}
	ids := MemberIDs()
	if len(ids) != len(g.Members) {
		t.Fatalf("%d member ids, genesis has %d members", len(ids), len(g.Members))
	}
	keys := SignKeys(t, dir, ids...)
	for _, m := range g.Members {
		if k := keys[m.ID]; k == nil || !k.Public().Equal(m.SignKey) {
			t.Fatalf("member %s: key %v, genesis holds %s", m.ID, k, m.SignKey)
		}
	}
}

// TestGenesisJSON: the bytes are a genesis file that loads, of the options' nodes.
func TestGenesisJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(p, GenesisJSON(t, devnet.Options{Nodes: 3}), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := genesis.Load(p)
	if err != nil || len(g.Nodes) != 3 {
		t.Fatalf("genesis.Load: %v, %+v", err, g)
	}
}
