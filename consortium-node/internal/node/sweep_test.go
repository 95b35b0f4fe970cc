package node

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// TestRefusedRegistrationLeavesNothing: St Mary's runs nodes A and B. A
// registration the ledger refuses (an unknown category) leaves its
// upload staged on both; the same id is registered with other content
// next, which becomes version 1 on both nodes while the refused upload
// goes. An upload no registration names stays through the grace period
// and is then discarded on A and on B (each by its own clock); a stored
// version left unregistered by an upload before uploads were staged is
// dropped by the second sweep; registered versions stay; and the swept
// id can be registered again.
func TestRefusedRegistrationLeavesNothing(t *testing.T) {
	clock := newFakeClock()
	c := newCustodianClusterWith(t, 5, func(cfg *Config) { cfg.Sweep.Now = clock.Now })
	a, b := 0, 4
	c.leader()
	clerk, ana := c.actor("stmarys/clerk"), c.actor("stmarys/patient-ana")

	upload := func(id string, v uint64, plain string) ledger.Hash {
		t.Helper()
		sealed, wrapped, err := envelope.SealFor(nil, c.g.Nodes[a].EncKey.Key, c.g.Nodes[a].ID, id, v, []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		req := &api.UploadRequest{RecordID: id, Version: v, Sealed: sealed, Wrapped: wrapped, Uploader: clerk.id, Time: time.Now().Unix()}
		if err := api.SignPrivate(req, clerk.sign); err != nil {
			t.Fatal(err)
		}
		if err := c.nodes[a].n.UploadRecord(req); err != nil {
			t.Fatalf("uploading %s version %d: %v", id, v, err)
		}
		return envelope.CiphertextHash(sealed)
	}
	register := func(id string, h ledger.Hash, category string) *ledger.Receipt {
		t.Helper()
		c.seq++
		raw, err := tx.SignEncoded(tx.Body{ChainID: c.g.ChainID, Sender: clerk.id, Nonce: c.seq,
			Expiry: c.nodes[a].n.NextHeight() + 100,
			Call: tx.Call{Contract: record.Name, Method: "register", Args: []tx.Arg{tx.String("record_id", id), tx.Uint("version", 1),
				tx.Bytes("ciphertext_hash", h[:]), tx.String("patient", ana.id), tx.String("category", category)}}}, clerk.sign)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := c.nodes[a].n.Submit(ctx, [][]byte{raw}, true)
		if err != nil || res[0].Err != nil || !res[0].Committed {
			t.Fatalf("registering %s: %+v %v", id, res, err)
		}
		c.converge()
		return res[0].Receipt
	}
	staged := func(i int, id string) []ledger.Hash {
		t.Helper()
		var out []ledger.Hash
		if err := c.nodes[i].n.private.ListStaged(func(s privatestore.Staged) bool {
			if s.RecordID == id {
				out = append(out, s.Hash)
			}
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	keys := func(i int, id string) string { return strings.Join(c.privateKeys(i, id), ",") }

	// A registration the ledger refuses, then one of the same id that it
	// takes.
	refused := upload("rec-a", 1, `{"resourceType":"Bundle","id":"refused"}`)
	if r := register("rec-a", refused, "gossip"); r.OK() || !strings.Contains(r.Error, "category") {
		t.Fatalf("a registration with an unknown category: %+v", r)
	}
	for _, i := range []int{a, b} {
		if got := staged(i, "rec-a"); len(got) != 1 || got[0] != refused {
			t.Fatalf("node %d stages %x after the refusal; want the refused upload", i, got)
		}
	}
	taken := upload("rec-a", 1, `{"resourceType":"Bundle","id":"taken"}`)
	if r := register("rec-a", taken, "lab"); !r.OK() {
		t.Fatalf("registering rec-a again: %+v", r)
	}
	for _, i := range []int{a, b} {
		if k := keys(i, "rec-a"); k != "p/ct/rec-a/1,p/dk/rec-a/1" {
			t.Fatalf("node %d holds %s for rec-a; want version 1 only", i, k)
		}
		reader, _ := envelope.GenerateReaderKey(nil)
		if _, _, err := c.nodes[i].n.private.Release("rec-a", 1, taken, "r", reader.PublicKey()); err != nil {
			t.Fatalf("node %d releasing the registered upload: %v", i, err)
		}
	}

	// An upload no registration names, and a version stored unregistered
	// before uploads were staged (on B).
	upload("rec-b", 1, `{"resourceType":"Bundle","id":"never registered"}`)
	oldSealed, oldWrapped, _ := envelope.SealFor(nil, c.g.Nodes[b].EncKey.Key, c.g.Nodes[b].ID, "rec-old", 1,
		[]byte(`{"resourceType":"Bundle"}`))
	if err := c.nodes[b].n.private.Put("rec-old", 1, oldSealed, oldWrapped); err != nil {
		t.Fatal(err)
	}
	sweepers := map[int]*sweeper{a: {}, b: {}}
	for _, i := range []int{a, b} {
		if rep := c.nodes[i].n.sweep(sweepers[i]); rep.Skipped || rep.Discarded != 0 || rep.Dropped != 0 {
			t.Fatalf("node %d swept within the grace period: %+v", i, rep)
		}
		if len(staged(i, "rec-b")) != 1 {
			t.Fatalf("node %d lost an upload within the grace period", i)
		}
	}
	clock.Advance(DefaultUploadGrace + time.Minute)
	for _, i := range []int{a, b} {
		rep := c.nodes[i].n.sweep(sweepers[i])
		if wantDropped := map[int]int{a: 0, b: 1}[i]; rep.Discarded != 1 || rep.Dropped != wantDropped {
			t.Fatalf("node %d's sweep after the grace period: %+v", i, rep)
		}
		if k := keys(i, "rec-b"); k != "" {
			t.Fatalf("node %d keeps %s of an upload no registration names", i, k)
		}
		if k := keys(i, "rec-old"); k != "" {
			t.Fatalf("node %d keeps %s of a version no registration names", i, k)
		}
		if k := keys(i, "rec-a"); k != "p/ct/rec-a/1,p/dk/rec-a/1" {
			t.Fatalf("node %d's sweep touched the registered rec-a: %s", i, k)
		}
	}

	// The swept id is free.
	again := upload("rec-b", 1, `{"resourceType":"Bundle","id":"registered at last"}`)
	if r := register("rec-b", again, "lab"); !r.OK() {
		t.Fatalf("registering the swept id: %+v", r)
	}
	clock.Advance(2 * DefaultUploadGrace)
	for _, i := range []int{a, b} {
		if rep := c.nodes[i].n.sweep(sweepers[i]); rep.Discarded != 0 {
			t.Fatalf("node %d discarded a registered upload: %+v", i, rep)
		}
		if ok, _ := c.nodes[i].n.private.Has("rec-b", 1); !ok {
			t.Fatalf("node %d lost the registered rec-b", i)
		}
	}
}

// TestUploadOfRegisteredVersion: an upload of a version the ledger
// registers is accepted again only with its registered ciphertext (a
// retry); other content, a version beyond the next and another
// organisation's record are refused before anything is stored.
func TestUploadOfRegisteredVersion(t *testing.T) {
	c := newCustodianCluster(t, 1)
	c.leader()
	clerk, ana := c.actor("stmarys/clerk"), c.actor("stmarys/patient-ana")
	mk := func(id string, v uint64, plain string) *api.UploadRequest {
		sealed, wrapped, _ := envelope.SealFor(nil, c.g.Nodes[0].EncKey.Key, c.g.Nodes[0].ID, id, v, []byte(plain))
		req := &api.UploadRequest{RecordID: id, Version: v, Sealed: sealed, Wrapped: wrapped, Uploader: clerk.id, Time: time.Now().Unix()}
		if err := api.SignPrivate(req, clerk.sign); err != nil {
			t.Fatal(err)
		}
		return req
	}
	first := mk("rec-1", 1, "v1")
	if err := c.nodes[0].n.UploadRecord(first); err != nil {
		t.Fatal(err)
	}
	h := envelope.CiphertextHash(first.Sealed)
	c.send(0, clerk, record.Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", h[:]),
		tx.String("patient", ana.id), tx.String("category", "lab"))
	if err := c.nodes[0].n.UploadRecord(first); err != nil {
		t.Fatalf("a retried upload of the registered version: %v", err)
	}
	for _, bad := range []struct {
		req  *api.UploadRequest
		want error
	}{
		{mk("rec-1", 1, "other"), privatestore.ErrMismatch},
		{mk("rec-1", 3, "v3"), ErrInvalid},
		{mk("rec-9", 2, "v2 of nothing"), ErrInvalid},
	} {
		if err := c.nodes[0].n.UploadRecord(bad.req); err == nil || !strings.Contains(err.Error(), "version") ||
			!errors.Is(err, bad.want) {
			t.Fatalf("upload of %s version %d: %v; want %v", bad.req.RecordID, bad.req.Version, err, bad.want)
		}
	}
	if k := c.privateKeys(0, ""); strings.Join(k, ",") != "p/ct/rec-1/1,p/dk/rec-1/1" {
		t.Fatalf("refused uploads left %v", k)
	}
}
