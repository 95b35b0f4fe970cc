package testkeys

import (
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis/devnet"
)

// TestPinIsDeterministic: two dev consortia, each with its own random keys, get the same keys once pinned, and
// every key file signs with the key genesis now holds for its id.
func TestPinIsDeterministic(t *testing.T) {
	a, err := devnet.Create(t.TempDir(), devnet.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := devnet.Create(t.TempDir(), devnet.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	if a.Members[0].SignKey.String() == b.Members[0].SignKey.String() {
		t.Fatal("two dev consortia drew the same key before pinning")
	}
	ka, kb := Pin(t, a), Pin(t, b)
	if len(ka) != len(a.Members)+len(a.Nodes) {
		t.Fatalf("%d key files for %d members and %d nodes", len(ka), len(a.Members), len(a.Nodes))
	}
	for i, m := range a.Members {
		if m.SignKey.String() != b.Members[i].SignKey.String() || m.EncKey.String() != b.Members[i].EncKey.String() {
			t.Errorf("member %s: pinned keys differ between the two consortia", m.ID)
		}
		sk, err := ka[m.ID].SignKey()
		if err != nil {
			t.Fatal(err)
		}
		if sk.Public().String() != m.SignKey.String() {
			t.Errorf("member %s: key file and genesis disagree", m.ID)
		}
	}
	for i, n := range a.Nodes {
		if n.SignKey.String() != b.Nodes[i].SignKey.String() || kb[n.ID] == nil {
			t.Errorf("node %s: pinned keys differ or no key file", n.ID)
		}
	}
}
