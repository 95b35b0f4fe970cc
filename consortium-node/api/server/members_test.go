package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/internal/testkeys"
	"github.com/almoner/almoner/consortium-node/tx"
)

// TestSubmitNonMemberRefused: 100 transactions signed by an outsider's key
// (50 naming made-up ids, 50 naming real members' ids) are refused at
// submission with one identical message and the status other admission
// refusals get; none of them, nor anything signed by that key, is in any
// block; a member's transaction still commits.
func TestSubmitNonMemberRefused(t *testing.T) {
	f := newFixture(t)
	f.ready()
	outsider := testkeys.Seeded(t, 0x5a)
	var raws [][]byte
	for i := range 100 {
		sender := fmt.Sprintf("stmarys/nobody-%d", i)
		if i%2 == 1 {
			sender = devnet.Members[i/2%len(devnet.Members)].ID
		}
		s := f.addMember("stmarys/admin", fmt.Sprintf("stmarys/squatter-%d", i)) // a well-formed call...
		s.Body.Sender = sender                                                   // ...sent as someone else
		msg, err := s.Body.SignBytes()
		if err != nil {
			t.Fatal(err)
		}
		pub := outsider.Public()
		s.Signature = tx.Signature{Alg: pub.Alg, PubKey: pub.Key, Sig: outsider.Sign(msg)}
		raws = append(raws, enc(t, s))
	}
	before := f.snapshot()
	// One batch, as a flood would come, waiting for blocks.
	resp, data := f.request(t, http.MethodPost, "/v1/txs?wait=true&timeout=2s", "application/cbor", cborBody(t, raws...))
	for i, r := range rejectedResults(t, resp, data, raws) {
		if r.Error != mempool.ErrNotMember.Error() {
			t.Fatalf("tx %d (from %q): error %q, want exactly %q", i, senderOf(t, raws[i]), r.Error, mempool.ErrNotMember)
		}
	}
	// One at a time through the client, JSON: the same answer.
	for _, raw := range raws[:4] {
		s, err := tx.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.c.SubmitTx(f.ctx(), s, client.SubmitOptions{})
		if err == nil || st.Status != api.StatusRejected || st.Error != mempool.ErrNotMember.Error() ||
			st.Reason != api.RefusedNotMember {
			t.Fatalf("%s one at a time: %+v, %v; want rejected with %q", s.Body.Sender, st, err, mempool.ErrNotMember)
		}
	}
	f.unchanged(t, before)

	member := f.commit(f.goodTx())
	if !member.Receipt.OK() {
		t.Fatalf("a member's transaction: %q", member.Receipt.Error)
	}
	refused := map[tx.ID]bool{}
	for _, raw := range raws {
		refused[tx.HashID(raw)] = true
	}
	found := false
	for h := uint64(0); h <= f.n.Head().Height; h++ {
		b, err := f.c.Block(f.ctx(), h)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range b.Txs {
			if refused[x.ID] || bytes.Equal(x.Signature.PubKey, outsider.Public().Key) {
				t.Errorf("block %d holds %s from %q signed by the outsider's key", h, x.ID, x.Body.Sender)
			}
			found = found || x.ID == member.ID
		}
	}
	if !found {
		t.Errorf("the member's transaction %s is in no block", member.ID)
	}
	f.wantNotCommitted(t, tx.HashID(raws[0]), tx.HashID(raws[1]), tx.HashID(raws[99]))

	// The refusals are counted under their own reason.
	rec := httptest.NewRecorder()
	f.n.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	series := `almoner_node_mempool_refused_total{reason="not_member"} 104` + "\n"
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), series) {
		t.Errorf("metrics: %d; want %s", rec.Code, series)
	}
}

func senderOf(t *testing.T, raw []byte) string {
	t.Helper()
	s, err := tx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s.Body.Sender
}
