package patients_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/rmtest"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
)

// follow runs a read model with the patients module over n until the test
// ends.
func follow(t *testing.T, n *testnode.Node) *readmodel.Store {
	t.Helper()
	reg := readmodel.NewRegistry()
	if err := reg.Register(patients.Module()); err != nil {
		t.Fatal(err)
	}
	s, err := readmodel.Open(filepath.Join(t.TempDir(), "index"), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // after the follower stops
	rmtest.RunFollower(t, readmodel.FollowerConfig{Store: s, Source: n.Client})
	return s
}

// TestConsentChangesAt: the change index gives each block's changes of a
// patient's consents in transaction order — two changes of one consent in
// one block (granted, then revoked) both, each with its own history
// entry — and nothing for another block or patient.
func TestConsentChangesAt(t *testing.T) {
	n := testnode.Start(t)
	s := follow(t, n)
	kf, err := genesis.LoadKeyFile(genesis.KeyPath(n.Home, "stmarys/patient-ana"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := kf.SignKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := n.Client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var raws [][]byte
	for i, call := range []tx.Call{
		{Contract: "consent", Method: "grant", Args: []tx.Arg{tx.String("consent_id", "con-1"), tx.String("grantee", "acme"), tx.String("purpose", "claims"),
			tx.Strings("categories", []string{"lab"}), tx.Int("start", now.Add(-time.Hour).Unix()), tx.Int("end", now.Add(time.Hour).Unix())}},
		{Contract: "consent", Method: "revoke", Args: []tx.Arg{tx.String("consent_id", "con-1")}},
	} {
		raw, err := tx.SignEncoded(tx.Body{ChainID: n.Genesis.ChainID, Sender: "stmarys/patient-ana", Nonce: uint64(1000 + i),
			Expiry: st.Height + 100, Call: call}, key)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	res, err := n.Client.Submit(ctx, raws, client.SubmitOptions{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != api.StatusCommitted || r.Receipt == nil || !r.Receipt.OK() {
			t.Fatalf("%+v", r)
		}
	}
	if res[0].Height != res[1].Height {
		t.Fatalf("the node put one submission in blocks %d and %d; the test needs them in one", res[0].Height, res[1].Height)
	}
	h := res[0].Height
	rmtest.WaitApplied(t, s, h)
	rd := patients.NewReader(s)
	chs, err := rd.ConsentChangesAt("stmarys/patient-ana", h)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range chs {
		got = append(got, fmt.Sprint(ch.Change.Kind, ":", ch.Consent.ID, ":", ch.Consent.Status, ":", ch.Change.TxID == res[len(got)].ID.String()))
	}
	if fmt.Sprint(got) != "[granted:con-1:inactive:true revoked:con-1:inactive:true]" {
		t.Fatalf("changes at %d: %v", h, got)
	}
	for _, tc := range []struct {
		patient string
		height  uint64
	}{{"stmarys/patient-ana", h - 1}, {"stmarys/patient-ana", h + 1}, {"stmarys/patient-an", h}, {"stmarys/clerk", h}} {
		if chs, err := rd.ConsentChangesAt(tc.patient, tc.height); err != nil || len(chs) != 0 {
			t.Fatalf("%s at %d: %v %v", tc.patient, tc.height, chs, err)
		}
	}
	active, err := rd.ActiveConsents("stmarys/patient-ana")
	if err != nil || len(active) != 0 {
		t.Fatalf("active consents after the revocation: %v %v", active, err)
	}
}
