package consortium

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"testing"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/privacy/sign"
)

// testNode is a node with keys derived from its id.
func testNode(t *testing.T, id string, raft uint64) Node {
	t.Helper()
	seed := sha256.Sum256([]byte("args test " + id))
	k, err := sign.NewKeyFromSeed(sign.Ed25519, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	_, enc := xwing.DeriveKeyPairPacked(seed[:])
	return Node{ID: id, Org: "aa", RaftID: raft, SignKey: k.Public(),
		EncKey:   identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: enc},
		RaftAddr: "10.0.0.7:7000", APIAddr: "10.0.0.7:7070"}
}

// TestChangeArgsRoundTrip: what ChangeArgs writes is exactly the arguments
// the action reads (its Shape), and changeFromArgs reads back the same
// change, so approvals signed over it verify, and the same approvals;
// NodeFromArgs reads back what NodeToArgs wrote under any prefix.
func TestChangeArgsRoundTrip(t *testing.T) {
	n := testNode(t, "aa-node7", 7)
	approvals := []string{"aa/admin:c2ln", "bb/admin:c2lnMg"}
	for _, ch := range []*Change{
		{Action: vocab.ActionAddNode, Node: n, ValidUntil: 1 << 40},
		{Action: vocab.ActionRemoveNode, Node: Node{ID: "aa-node7"}, ValidUntil: 12},
	} {
		args := ChangeArgs(ch, approvals)
		if err := args.Validate(); err != nil {
			t.Fatalf("%s: %v", ch.Action, err)
		}
		var names []string
		for _, a := range args {
			names = append(names, a.Name)
		}
		want := slices.Clone(vocab.Shape().Methods[ch.Action])
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s: arguments %v, the action reads %v", ch.Action, names, want)
		}
		got, gotApprovals, err := changeFromArgs(ch.Action, args)
		if err != nil {
			t.Fatalf("%s: %v", ch.Action, err)
		}
		b1, err1 := ApprovalBytes("c", ch)
		b2, err2 := ApprovalBytes("c", got)
		if err1 != nil || err2 != nil || !bytes.Equal(b1, b2) {
			t.Errorf("%s: read back %+v, want %+v (%v, %v)", ch.Action, got, ch, err1, err2)
		}
		if !slices.Equal(gotApprovals, approvals) {
			t.Errorf("%s: approvals read back %q, want %q", ch.Action, gotApprovals, approvals)
		}
	}
	for _, prefix := range []string{"", "node_"} {
		back, err := NodeFromArgs(NodeToArgs(&n, prefix), prefix)
		if err != nil || !bytes.Equal(vocab.Encode(&back), vocab.Encode(&n)) {
			t.Errorf("prefix %q: %+v, %v; want %+v", prefix, back, err, n)
		}
	}
	if _, _, err := changeFromArgs(vocab.ActionAddNode, ChangeArgs(&Change{Action: vocab.ActionRemoveNode,
		Node: n, ValidUntil: 12}, approvals)); err == nil {
		t.Error("add_node read a remove_node's arguments, which have no node record")
	}
}
