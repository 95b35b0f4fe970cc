package records

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
)

// fuzzNode answers the portal's calls with fuzzed node data.
type fuzzNode struct {
	nodes     []genesis.Node
	status    *api.Status
	fetch     *api.FetchResponse
	uploaded  *api.UploadRequest
	note      *api.NoteRequest
	noteFetch *api.NoteFetchResponse
}

func (n *fuzzNode) Nodes(context.Context) ([]genesis.Node, error) { return n.nodes, nil }
func (n *fuzzNode) Status(context.Context) (*api.Status, error)   { return n.status, nil }
func (n *fuzzNode) UploadRecord(_ context.Context, req *api.UploadRequest) error {
	n.uploaded = req
	return nil
}
func (n *fuzzNode) FetchRecord(context.Context, *api.FetchRequest) (*api.FetchResponse, error) {
	return n.fetch, nil
}
func (n *fuzzNode) DeliverNote(_ context.Context, req *api.NoteRequest) error {
	n.note = req
	return nil
}
func (n *fuzzNode) FetchNote(context.Context, *api.NoteFetchRequest) (*api.NoteFetchResponse, error) {
	return n.noteFetch, nil
}
func (n *fuzzNode) CustodianReachable(context.Context, string) error { return nil }

// fuzzKeys holds one member's reader key; it signs nothing (the node is
// not the one checking here).
type fuzzKeys struct{ seed []byte }

func (k fuzzKeys) SignPrivate(string, any) error { return nil }
func (k fuzzKeys) ReaderKey(string) (*envelope.ReaderKey, error) {
	return envelope.NewReaderKey(k.seed)
}

func fuzzReader(tb testing.TB, b byte) (fuzzKeys, []byte) {
	tb.Helper()
	k := fuzzKeys{seed: bytes.Repeat([]byte{b}, 32)}
	rk, err := k.ReaderKey("")
	if err != nil {
		tb.Fatal(err)
	}
	defer rk.Destroy()
	return k, bytes.Clone(rk.PublicKey())
}

// FuzzOpen fuzzes what a custodian releases to a reader (record id,
// version, sealed record, wrapped data key): no panic, and only the
// release sealed and wrapped for this reader, record and version opens.
func FuzzOpen(f *testing.F) {
	keys, pub := fuzzReader(f, 7)
	const member = "stmarys/patient-ana"
	// The same release in the fuzzing coordinator and its workers
	// (separate processes): the bytes below are compared with the inputs.
	r := rand.NewChaCha8([32]byte{'f', 'u', 'z', 'z'})
	dk, err := envelope.NewDataKey(r)
	if err != nil {
		f.Fatal(err)
	}
	defer dk.Destroy()
	plain := []byte(`{"diagnosis":"x"}`)
	sealed, err := envelope.Seal(r, dk, "rec-1", 2, plain)
	if err != nil {
		f.Fatal(err)
	}
	wrapped, err := envelope.Wrap(r, pub, member, dk, "rec-1", 2)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("rec-1", uint64(2), sealed, wrapped)
	f.Add("rec-1", uint64(1), sealed, wrapped)
	f.Add("rec-2", uint64(2), sealed, wrapped)
	f.Add("rec-1", uint64(2), sealed[:len(sealed)-1], wrapped)
	f.Add("", uint64(0), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, id string, version uint64, s, w []byte) {
		node := &fuzzNode{fetch: &api.FetchResponse{RecordID: id, Version: version, Sealed: s, Wrapped: w}}
		o, err := New(node, keys).Open(context.Background(), member, tx.ID{1})
		if err != nil {
			return
		}
		if id != "rec-1" || version != 2 || !bytes.Equal(s, sealed) || !bytes.Equal(w, wrapped) ||
			!bytes.Equal(o.Plaintext, plain) {
			t.Fatalf("opened a release that is not the one sealed for this reader: %q v%d %x", id, version, o.Plaintext)
		}
		if o.RecordID != id || o.Version != version || o.CiphertextHash != envelope.CiphertextHash(s) {
			t.Fatalf("opened %q v%d hash %s, released %q v%d", o.RecordID, o.Version, o.CiphertextHash, id, version)
		}
	})
}

// FuzzStore fuzzes the node directory a portal wraps a record's data key
// from (the custodian node's id, organisation and encryption key, and
// which node the portal's node says it is): no panic; an upload, when
// made, is the record asked for, and its key is wrapped for the node the
// directory names.
func FuzzStore(f *testing.F) {
	keys, pub := fuzzReader(f, 9)
	f.Add("stmarys-node1", "stmarys", identityvocab.EncAlgXWing, pub, "stmarys-node1")
	f.Add("stmarys-node2", "stmarys", identityvocab.EncAlgXWing, pub, "stmarys-node1")
	f.Add("acme-node1", "acme", identityvocab.EncAlgXWing, pub, "")
	f.Add("stmarys-node1", "stmarys", "", pub[:10], "")
	f.Fuzz(func(t *testing.T, nodeID, org, alg string, encKey []byte, self string) {
		node := &fuzzNode{
			nodes:  []genesis.Node{{ID: nodeID, Org: org, RaftID: 1, EncKey: identity.EncryptionKey{Alg: alg, Key: encKey}}},
			status: &api.Status{NodeID: self},
		}
		h, err := New(node, keys).Store(context.Background(), "stmarys/clerk", "stmarys", "rec-1", 3, []byte(`{}`))
		if err != nil {
			if node.uploaded != nil {
				t.Fatalf("uploaded, then failed: %v", err)
			}
			return
		}
		u := node.uploaded
		if org != "stmarys" || u == nil || u.RecordID != "rec-1" || u.Version != 3 || u.Uploader != "stmarys/clerk" ||
			h != envelope.CiphertextHash(u.Sealed) {
			t.Fatalf("stored through %s of %q: upload %+v, hash %s", nodeID, org, u, h)
		}
		if bytes.Equal(encKey, pub) {
			rk, err := keys.ReaderKey("")
			if err != nil {
				t.Fatal(err)
			}
			defer rk.Destroy()
			dk, err := envelope.Unwrap(rk, nodeID, u.Wrapped, "rec-1", 3)
			if err != nil {
				t.Fatalf("the data key is not wrapped for %s: %v", nodeID, err)
			}
			defer dk.Destroy()
			if _, err := envelope.Open(dk, u.Sealed, "rec-1", 3); err != nil {
				t.Fatalf("the sealed record does not open with its key: %v", err)
			}
		}
	})
}
