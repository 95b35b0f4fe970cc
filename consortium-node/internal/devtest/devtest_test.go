package devtest

import (
	"testing"
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
