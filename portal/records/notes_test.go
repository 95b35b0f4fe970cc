package records

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
)

// TestNotes: SendNote seals a note for every node of the custodian (and no
// other organisation's), so that each of them opens it; a note over the
// bound is refused before anything is sent; OpenNote opens only the note
// released for this reader, access and kind.
func TestNotes(t *testing.T) {
	nodeKeys, nodePub := fuzzReader(t, 3)
	_, otherPub := fuzzReader(t, 4)
	node := &fuzzNode{nodes: []genesis.Node{
		{ID: "stmarys-node1", Org: "stmarys",
			EncKey: identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: nodePub}},
		{ID: "citygen-node2", Org: "citygen",
			EncKey: identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: otherPub}},
		{ID: "stmarys-node3", Org: "stmarys",
			EncKey: identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: nodePub}},
	}}
	readerKeys, readerPub := fuzzReader(t, 5)
	access := tx.ID{7}
	const text = "found unconscious; allergies?"
	if err := New(node, readerKeys).SendNote(context.Background(), "citygen/dr-ray", "stmarys", api.NoteReason, access,
		strings.Repeat("x", api.MaxNoteBytes+1)); !errors.Is(err, ErrNoteTooBig) || node.note != nil {
		t.Fatalf("a note too big: %v (sent: %v)", err, node.note != nil)
	}
	if err := New(node, readerKeys).SendNote(context.Background(), "citygen/dr-ray", "stmarys", api.NoteReason, access, text); err != nil {
		t.Fatal(err)
	}
	req := node.note
	if req.AccessID != access || req.Kind != api.NoteReason || req.Sender != "citygen/dr-ray" || len(req.Keys) != 2 {
		t.Fatalf("request: %+v", req)
	}
	id := api.NoteID(api.NoteReason, access)
	rk, _ := nodeKeys.ReaderKey("")
	defer rk.Destroy()
	for _, k := range req.Keys {
		if !strings.HasPrefix(k.Node, "stmarys-") {
			t.Fatalf("a key wrapped for %s", k.Node)
		}
		dk, err := envelope.Unwrap(rk, k.Node, k.Wrapped, id, 1)
		if err != nil {
			t.Fatalf("%s cannot unwrap its key: %v", k.Node, err)
		}
		got, err := envelope.Open(dk, req.Sealed, id, 1)
		dk.Destroy()
		if err != nil || string(got) != text {
			t.Fatalf("%s opens %q, %v", k.Node, got, err)
		}
	}
	if bytes.Contains(req.Sealed, []byte("allergies")) {
		t.Fatal("the note travels in plain form")
	}

	// The custodian re-wraps the key for the privacy officer.
	dk, _ := envelope.NewDataKey(nil)
	defer dk.Destroy()
	sealed, _ := envelope.Seal(nil, dk, id, 1, []byte(text))
	wrapped, _ := envelope.Wrap(nil, readerPub, "stmarys/privacy", dk, id, 1)
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 0xff
	for name, c := range map[string]struct {
		resp *api.NoteFetchResponse
		ok   bool
	}{
		"the note":        {&api.NoteFetchResponse{AccessID: access, Kind: api.NoteReason, Sealed: sealed, Wrapped: wrapped}, true},
		"another access":  {&api.NoteFetchResponse{AccessID: tx.ID{8}, Kind: api.NoteReason, Sealed: sealed, Wrapped: wrapped}, false},
		"another kind":    {&api.NoteFetchResponse{AccessID: access, Kind: api.NoteReview, Sealed: sealed, Wrapped: wrapped}, false},
		"a tampered note": {&api.NoteFetchResponse{AccessID: access, Kind: api.NoteReason, Sealed: tampered, Wrapped: wrapped}, false},
	} {
		node.noteFetch = c.resp
		got, err := New(node, readerKeys).OpenNote(context.Background(), "stmarys/privacy", api.NoteReason, access)
		if c.ok != (err == nil) || c.ok && string(got) != text {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
}
