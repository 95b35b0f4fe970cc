package donation_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
)

// queueChunks returns the sizes of a milestone's escrow queue chunks in
// state, in order, failing if they are not contiguous from 0.
func queueChunks(t *testing.T, c *chaintest.Chain, campaign string, seq int) []int {
	t.Helper()
	base := contracts.Key(donation.Name, fmt.Sprintf("q/%s/%d", campaign, seq))
	var sizes []int
	for k := 0; ; k++ {
		key := base
		if k > 0 {
			key = fmt.Sprintf("%s/%d", base, k)
		}
		q, err := contracts.Load[[]donation.Entry](c.Reader(), key, "chunk")
		if err != nil {
			break
		}
		sizes = append(sizes, len(*q))
	}
	n := 0
	_ = c.Scan(base, func(k string, _ []byte) bool {
		if k == base || strings.HasPrefix(k, base+"/") && k != base+"/n" {
			n++
		}
		return true
	})
	if n != len(sizes) {
		t.Fatalf("queue %s/%d: %d chunks in state, %d of them contiguous from 0", campaign, seq, n, len(sizes))
	}
	return sizes
}

// TestEscrowQueueInChunks: a popular campaign's escrow queue grows in
// chunks of at most 64 gifts (a gift no longer rewrites every gift before
// it), on the Block-STM executor with many gifts per block; disbursements
// still draw earmarked gifts first, then first in, first out, across
// chunks; what is left is rewritten in chunks from 0; a rejected milestone
// refunds everything and leaves no chunk behind.
func TestEscrowQueueInChunks(t *testing.T) {
	donors := make([]string, 8)
	for i := range donors {
		donors[i] = fmt.Sprintf("hope/donor%d", i)
	}
	c := chaintest.New(t, chaintest.Options{Orgs: chaintest.Orgs("hope", "reg", "stmarys"), Parallel: true,
		Roles: map[string][]string{
			identityvocab.RoleCharityOfficer:     {"hope/officer"},
			identityvocab.RoleMilestoneValidator: {"reg/validator"},
			identityvocab.RoleDonor:              donors,
		}})
	launch(t, c, "popular", ms(c, 1_000_000, "reg/validator", 5), ms(c, 1_000_000, "reg/validator", 9))

	// 700 gifts of 10 in blocks of 100: every 7th earmarked for milestone
	// 1, the rest fill milestone 1 first (all fit in it).
	var gifts, earmarked, plain []string
	for b := range 7 {
		var txs []*tx.Signed
		for i := range 100 {
			args := []tx.Arg{tx.String(donationvocab.ArgCampaignID, "popular"), tx.Uint(donationvocab.ArgAmount, 10)}
			if (b*100+i)%7 == 0 {
				args = append(args, tx.Uint(donationvocab.ArgMilestone, 1))
			}
			txs = append(txs, c.Sign(fmt.Sprintf("hope/donor%d", i%8), donation.Name, donationvocab.MethodGive, args...))
		}
		for i, r := range c.Block(txs...) {
			must(t, r.Err)
			gifts = append(gifts, r.ID.String())
			if (b*100+i)%7 == 0 {
				earmarked = append(earmarked, r.ID.String())
			} else {
				plain = append(plain, r.ID.String())
			}
		}
	}
	if got := queueChunks(t, c, "popular", 1); fmt.Sprint(got) != "[64 64 64 64 64 64 64 64 64 64 60]" {
		t.Fatalf("milestone 1's queue in chunks of %v, want [64 64 64 64 64 64 64 64 64 64 60]", got)
	}
	conserved(t, c, "popular", gifts)

	// Draw 3,000 (300 gifts): the 100 earmarked first, then the first 200
	// others in the order they came.
	releaseFirst(t, c, "popular")
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodDisburse,
		payout{"popular", 1, "p-1", "stmarys", 3000, "beds", "R1", chaintest.Seed("inv")}.args()...).Err)
	d, err := donation.LoadDisbursement(c.Reader(), "p-1")
	must(t, err)
	want := append(append([]string(nil), earmarked...), plain[:200]...)
	if len(d.Sources) != len(want) {
		t.Fatalf("drew from %d gifts, want %d", len(d.Sources), len(want))
	}
	for i, s := range d.Sources {
		if s.Gift != want[i] || s.Amount != 10 {
			t.Fatalf("source %d: %+v, want gift %s (earmarked first, then first in, first out)", i, s, want[i])
		}
	}
	if got := queueChunks(t, c, "popular", 1); fmt.Sprint(got) != "[64 64 64 64 64 64 16]" {
		t.Fatalf("after the disbursement, the queue in chunks of %v, want [256 144]", got)
	}
	conserved(t, c, "popular", gifts)

	// Cancelling refunds the 400 gifts' undisbursed parts; no chunk is left.
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodCancel, tx.String(donationvocab.ArgCampaignID, "popular")).Err)
	if got := queueChunks(t, c, "popular", 1); len(got) != 0 {
		t.Fatalf("after cancelling, chunks %v are left", got)
	}
	refunded := 0
	for _, id := range gifts {
		for _, u := range gift(t, c, id).Uses {
			if u.Disbursement == "" {
				refunded += int(u.Amount)
			}
		}
	}
	if refunded != 7000-3000 {
		t.Fatalf("refunded %d, want %d", refunded, 4000)
	}
	conserved(t, c, "popular", gifts)
}
