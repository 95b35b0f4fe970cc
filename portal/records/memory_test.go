package records

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/privacy/envelope"
)

// uploadNode is a node whose uploads go over HTTP, through the real
// client, to a server that reads and discards them.
type uploadNode struct {
	fuzzNode
	c *client.Client
}

func (n *uploadNode) UploadRecord(ctx context.Context, req *api.UploadRequest) error {
	return n.c.UploadRecord(ctx, req)
}

// TestStoreMemory: storing a 16 MiB record (sealing it, encoding the
// upload, sending it to the node through the client) allocates about
// three times the record: the sealed copy, the encoded request and the
// encoder's growing buffer; never a copy per step more. Before the
// upload the portal holds the request body (one more copy).
func TestStoreMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("16 MiB record")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	nodeKey, _ := envelope.GenerateReaderKey(nil)
	n := &uploadNode{fuzzNode: fuzzNode{nodes: []genesis.Node{{ID: "stmarys-node1", Org: "stmarys", RaftID: 1,
		EncKey: identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: nodeKey.PublicKey()}}},
		status: &api.Status{NodeID: "stmarys-node1"}}, c: client.New(srv.URL, nil)}
	keys, _ := fuzzReader(t, 1)
	r := New(n, keys)
	record := bytes.Repeat([]byte(`{"resourceType":"Observation","status":"final"},`), (16<<20)/48)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := r.Store(context.Background(), "stmarys/clerk", "stmarys", "rec-big", 1, record); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("storing a record of %d bytes allocated %d bytes (%.2f times the record)", len(record), alloc, float64(alloc)/float64(len(record)))
	if alloc > 4*uint64(len(record)) {
		t.Fatalf("storing a record of %d bytes allocated %d bytes: more than 4 copies", len(record), alloc)
	}
}
