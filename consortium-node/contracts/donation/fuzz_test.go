package donation_test

import (
	"bytes"
	"testing"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
)

type anyKey struct{ v []byte }

func (a anyKey) Get(string) ([]byte, bool) { return a.v, true }

// FuzzDecode fuzzes the decoders of donation state read from disk:
// campaigns, gifts and disbursements. No panic; accepted input re-encodes
// to the same bytes.
func FuzzDecode(f *testing.F) {
	camp, _ := codec.Marshal(&donation.Campaign{ID: "c", Charity: "hope", Currency: "EUR", Goal: 10, Beneficiaries: []string{},
		Milestones: []donation.Milestone{{Seq: 1, Amount: 10, Validator: "r/v",
			Status: donationvocab.MilestonePending}}, Status: donationvocab.StatusOpen})
	gift, _ := codec.Marshal(&donation.Gift{ID: "g", Campaign: "c", Donor: "h/d", Amount: 5, Currency: "EUR",
		Allocations: []donation.Allocation{{Milestone: 1, Amount: 5, Left: 5}}, Uses: []donation.Use{}})
	disb, _ := codec.Marshal(&donation.Disbursement{ID: "d", Campaign: "c", Milestone: 1, Payee: "stmarys", Amount: 5,
		Evidence: bytes.Repeat([]byte{1}, 32), Sources: []donation.Source{{Gift: "g", Amount: 5}}})
	for _, b := range [][]byte{camp, gift, disb} {
		f.Add(b)
	}
	check := func(t *testing.T, v any, err error, data []byte) {
		if err != nil {
			return
		}
		if again, _ := codec.Marshal(v); !bytes.Equal(again, data) {
			t.Fatalf("%T %x re-encodes differently", v, data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r contracts.StateReader = anyKey{data}
		c, err := donation.LoadCampaign(r, "x")
		check(t, c, err, data)
		g, err := donation.LoadGift(r, "x")
		check(t, g, err, data)
		d, err := donation.LoadDisbursement(r, "x")
		check(t, d, err, data)
	})
}
