package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/apitest"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// lineage is a donation chain with two donors: on "heart", donor1 gives
// 300 earmarked for milestone 1 and donor2 gives 200; the validator
// approves milestone 1; disbursement d1 (400) draws on both gifts (donor1's
// earmarked 300 first, then 100 of donor2's), d2 (100) on donor2's alone;
// the payee confirms both. On "kidney" donor1 gives 250 and the charity
// cancels the campaign (a refund of donor1 alone); on "eye" both give and
// the validator rejects the milestone (one refund of both).
type lineage struct {
	l                                   *testLedger
	gift1, gift2, approve, d1, d2       tx.ID
	confirm1, confirm2                  tx.ID
	kidney1, cancel, eye1, eye2, reject tx.ID
}

func newLineage(t *testing.T) *lineage {
	l := newTestLedger(t)
	x := &lineage{l: l}
	month := l.c.Now.Add(30 * 24 * time.Hour).Unix()
	for _, c := range []string{"heart", "kidney", "eye"} {
		l.do("hope/officer", "create_campaign", tx.String(donationvocab.ArgCampaignID, c),
			tx.String(donationvocab.ArgTitle, "Campaign "+c), tx.String(donationvocab.ArgCurrency, "EUR"),
			tx.Strings(donationvocab.ArgMilestones,
				[]string{fmt.Sprintf("1000 reg/validator %d Surgery", month),
					fmt.Sprintf("500 reg/validator %d Aftercare", month)}),
			tx.Strings(donationvocab.ArgBeneficiaries, []string{"stmarys"}))
		l.do("hope/officer", "open", tx.String(donationvocab.ArgCampaignID, c))
	}
	ids := l.block(l.call("hope/donor1", "give", tx.String(donationvocab.ArgCampaignID, "heart"),
		tx.Uint(donationvocab.ArgAmount, 300), tx.Uint(donationvocab.ArgMilestone, 1)),
		l.call("hope/donor2", "give", tx.String(donationvocab.ArgCampaignID, "heart"),
			tx.Uint(donationvocab.ArgAmount, 200)),
		l.call("hope/donor1", "give", tx.String(donationvocab.ArgCampaignID, "kidney"),
			tx.Uint(donationvocab.ArgAmount, 250)))
	x.gift1, x.gift2, x.kidney1 = ids[0], ids[1], ids[2]
	ids = l.block(l.call("hope/donor1", "give", tx.String(donationvocab.ArgCampaignID, "eye"),
		tx.Uint(donationvocab.ArgAmount, 30)),
		l.call("hope/donor2", "give", tx.String(donationvocab.ArgCampaignID, "eye"),
			tx.Uint(donationvocab.ArgAmount, 40)))
	x.eye1, x.eye2 = ids[0], ids[1]
	evidence := tx.Bytes(donationvocab.ArgEvidenceHash, make([]byte, 32))
	l.do("hope/officer", "submit_evidence", tx.String(donationvocab.ArgCampaignID, "heart"),
		tx.Uint(donationvocab.ArgMilestone, 1), evidence)
	l.do("hope/officer", "submit_evidence", tx.String(donationvocab.ArgCampaignID, "eye"),
		tx.Uint(donationvocab.ArgMilestone, 1), evidence)
	x.approve = l.do("reg/validator", "approve_milestone", tx.String(donationvocab.ArgCampaignID, "heart"),
		tx.Uint(donationvocab.ArgMilestone, 1))
	disburse := func(id string, amount uint64) *tx.Signed {
		return l.call("hope/officer", "disburse", tx.String(donationvocab.ArgCampaignID, "heart"),
			tx.Uint(donationvocab.ArgMilestone, 1), tx.String(donationvocab.ArgDisbursementID, id),
			tx.String(donationvocab.ArgPayee, "stmarys"), tx.Uint(donationvocab.ArgAmount, amount),
			tx.String(donationvocab.ArgPurpose, "Surgery invoice "+id),
			tx.String(donationvocab.ArgPaymentRef, "WIRE-"+id), evidence)
	}
	x.d1 = l.block(disburse("d1", 400))[0]
	x.d2 = l.block(disburse("d2", 100))[0]
	ids = l.block(l.call("stmarys/clerk", "confirm_receipt", tx.String(donationvocab.ArgDisbursementID, "d1")),
		l.call("stmarys/clerk", "confirm_receipt", tx.String(donationvocab.ArgDisbursementID, "d2")))
	x.confirm1, x.confirm2 = ids[0], ids[1]
	x.cancel = l.do("hope/officer", "cancel", tx.String(donationvocab.ArgCampaignID, "kidney"))
	x.reject = l.do("reg/validator", "reject_milestone", tx.String(donationvocab.ArgCampaignID, "eye"),
		tx.Uint(donationvocab.ArgMilestone, 1))
	return x
}

// onlyDonor shows the events a donor may read: their own gifts' and
// those that name no donor (what the portal's policy check gives a donor).
func onlyDonor(donor string) func(ledger.Event) bool {
	return func(e ledger.Event) bool { d := e.Attr("donor"); return d == "" || d == donor }
}

type step struct {
	kind string
	id   tx.ID
}

func (x *lineage) bundle(gift tx.ID, donor string, steps ...step) *api.GiftBundle {
	b := &api.GiftBundle{Format: api.BundleFormat, ChainID: x.l.trust.ChainID, Gift: gift.String()}
	for _, s := range steps {
		b.Steps = append(b.Steps, api.NewBundleStep(s.kind, x.l.proof(s.id), onlyDonor(donor)))
	}
	return b
}

// roundTrip writes the bundle as JSON, decodes and re-encodes it through
// float64 numbers (as JSON.parse and jq do) and reads it back.
func roundTrip(t *testing.T, b *api.GiftBundle) *api.GiftBundle {
	t.Helper()
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var out api.GiftBundle
	if err := json.Unmarshal(apitest.ThroughFloats(t, data), &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// TestGiftBundle: a donor's bundle of every transaction that moved the
// gift verifies after a JSON round trip and says what each proves; a
// receipt that names another donor is shown in part and proven by its
// hash, and says so.
func TestGiftBundle(t *testing.T) {
	x := newLineage(t)
	for _, c := range []struct {
		name    string
		bundle  *api.GiftBundle
		whole   []bool
		proves  []string
		portal  []string
		notSeen []string
	}{{
		name: "gift, approval, a disbursement of this gift alone, its confirmation",
		bundle: x.bundle(x.gift2, "hope/donor2", step{api.StepGift, x.gift2}, step{api.StepMilestoneApproved, x.approve},
			step{api.StepDisbursement, x.d2}, step{api.StepPayeeConfirmed, x.confirm2}),
		whole: []bool{true, true, true, true},
		proves: []string{"hope/donor2 gave 2.00 EUR to campaign heart of hope; allocated: 2.00 EUR to milestone 1.",
			"reg/validator approved milestone 1 of campaign heart",
			"hope/officer paid 1.00 EUR from milestone 1 of campaign heart to stmarys for “Surgery invoice d2” (payment reference WIRE-d2, disbursement d2); 1.00 EUR of it came from this gift.",
			"stmarys/clerk confirmed that stmarys received disbursement d2."},
	}, {
		name: "a disbursement shared with another donor",
		bundle: x.bundle(x.gift1, "hope/donor1", step{api.StepGift, x.gift1}, step{api.StepMilestoneApproved, x.approve},
			step{api.StepDisbursement, x.d1}, step{api.StepPayeeConfirmed, x.confirm1}),
		whole: []bool{true, true, false, true},
		proves: []string{"hope/donor1 gave 3.00 EUR to campaign heart of hope; earmarked: 3.00 EUR to milestone 1.",
			"hope/officer paid 4.00 EUR from milestone 1 of campaign heart to stmarys for “Surgery invoice d1” (payment reference WIRE-d1, disbursement d1) (the transaction, as signed).",
			"stmarys/clerk confirmed that stmarys received disbursement d1."},
		portal:  []string{"It succeeded, and 3.00 EUR of it came from this gift.", "1 events of its receipt are withheld"},
		notSeen: []string{"hope/donor2", x.gift2.String()},
	}, {
		name:   "gift and the refund of a cancelled campaign",
		bundle: x.bundle(x.kidney1, "hope/donor1", step{api.StepGift, x.kidney1}, step{api.StepRefund, x.cancel}),
		whole:  []bool{true, true},
		proves: []string{"hope/officer cancelled the campaign kidney.", "2.50 EUR of this gift went back to hope/donor1: the campaign was cancelled."},
	}, {
		name:    "a refund shared with another donor",
		bundle:  x.bundle(x.eye2, "hope/donor2", step{api.StepGift, x.eye2}, step{api.StepRefund, x.reject}),
		whole:   []bool{true, false},
		proves:  []string{"reg/validator rejected milestone 1 of campaign eye."},
		portal:  []string{"0.40 EUR of this gift went back to hope/donor2: the milestone was rejected."},
		notSeen: []string{"hope/donor1", x.eye1.String()},
	}} {
		t.Run(c.name, func(t *testing.T) {
			data, _ := json.Marshal(c.bundle)
			for _, s := range c.notSeen {
				if strings.Contains(string(data), s) {
					t.Errorf("the bundle shows %s", s)
				}
			}
			rep, err := roundTrip(t, c.bundle).Verify(x.l.trust)
			if err != nil {
				t.Fatal(err)
			}
			var proves, portal []string
			for i, s := range rep.Steps {
				if s.Whole != c.whole[i] {
					t.Errorf("step %d whole %v, want %v", i+1, s.Whole, c.whole[i])
				}
				proves, portal = append(proves, s.Proves...), append(portal, s.PortalSays...)
			}
			all, says := strings.Join(proves, "\n"), strings.Join(portal, "\n")
			for _, w := range c.proves {
				if !strings.Contains(all, w) {
					t.Errorf("proves\n%s\nnot %q", all, w)
				}
			}
			for _, w := range c.portal {
				if !strings.Contains(says, w) {
					t.Errorf("the portal says\n%s\nnot %q", says, w)
				}
			}
			if len(c.portal) == 0 && says != "" {
				t.Errorf("a whole bundle with unproven words: %s", says)
			}
		})
	}
}

// TestGiftBundleTampering: a bundle that is changed, padded with another
// donor's receipts or reordered is refused, naming the step and the cause.
func TestGiftBundleTampering(t *testing.T) {
	x := newLineage(t)
	good := func() *api.GiftBundle {
		return roundTrip(t, x.bundle(x.gift1, "hope/donor1", step{api.StepGift, x.gift1}, step{api.StepMilestoneApproved, x.approve},
			step{api.StepDisbursement, x.d1}, step{api.StepPayeeConfirmed, x.confirm1}))
	}
	for _, c := range []struct {
		name   string
		change func(b *api.GiftBundle)
		step   int
		cause  error
		words  string
	}{
		{"another format", func(b *api.GiftBundle) { b.Format = "x" }, 0, api.ErrBundle, `its format is "x"`},
		{"the gift left out", func(b *api.GiftBundle) { b.Steps = b.Steps[1:] }, 0, api.ErrBundle, "first step is not the gift"},
		{"another donor's gift first", func(b *api.GiftBundle) {
			b.Steps[0] = api.NewBundleStep(api.StepGift, x.l.proof(x.gift2), nil)
		}, 1, api.ErrBundle, "not the whole receipt of gift " + x.gift1.String()},
		{"the gift's amount", func(b *api.GiftBundle) { setAttr(&b.Steps[0].Proof.Receipt, "amount", "30000") }, 1, api.ErrProofReceipt, "an amount, a name"},
		{"a rounded block time", func(b *api.GiftBundle) {
			// As jq 1.6 writes it back: a float in exponent form.
			var p api.Proof
			data, _ := json.Marshal(b.Steps[1].Proof)
			exact := fmt.Sprint(b.Steps[1].Proof.Header.Time)
			data = []byte(strings.Replace(string(data), `"`+exact+`"`, strconv.FormatFloat(float64(b.Steps[1].Proof.Header.Time), 'g', -1, 64), 1))
			if err := json.Unmarshal(data, &p); err != nil {
				t.Fatal(err)
			}
			b.Steps[1].Proof = p
		}, 2, api.ErrProofTime, "a number that lost precision"},
		{"a withheld event's hash", func(b *api.GiftBundle) { b.Steps[2].ReceiptLeaf = strings.Repeat("0", 64) }, 3, api.ErrProofReceipt, "the receipt's hash was changed"},
		{"no hash for a withheld event", func(b *api.GiftBundle) { b.Steps[2].ReceiptLeaf = "" }, 3, api.ErrProofReceipt, "carries no receipt_leaf"},
		{"the disbursement's payee", func(b *api.GiftBundle) {
			s, _ := tx.Decode(b.Steps[2].Proof.Tx)
			for i, a := range s.Body.Call.Args {
				if a.Name == "payee" {
					s.Body.Call.Args[i] = tx.String(donationvocab.ArgPayee, "elsewhere")
				}
			}
			b.Steps[2].Proof.Tx, _ = s.Encode()
		}, 3, api.ErrProofTx, "the transaction was changed"},
		{"a whole receipt that does not draw on the gift", func(b *api.GiftBundle) {
			b.Steps[2] = api.NewBundleStep(api.StepDisbursement, x.l.proof(x.d2), nil)
		}, 3, api.ErrBundle, "disbursement d2 did not draw on this gift"},
		{"another campaign's refund", func(b *api.GiftBundle) {
			b.Steps = append(b.Steps, api.NewBundleStep(api.StepRefund, x.l.proof(x.cancel), nil))
		}, 5, api.ErrBundle, `(donation.cancel on campaign "kidney") refunds nothing of this gift`},
		{"a confirmation of another disbursement", func(b *api.GiftBundle) {
			b.Steps[3] = api.NewBundleStep(api.StepPayeeConfirmed, x.l.proof(x.confirm2), nil)
		}, 4, api.ErrBundle, `of disbursement "d2") confirms no disbursement of an earlier step`},
		{"a step mislabelled", func(b *api.GiftBundle) { b.Steps[1].Kind = api.StepRefund }, 2, api.ErrBundle, "refunds nothing of this gift"},
		{"steps out of order", func(b *api.GiftBundle) { b.Steps[2], b.Steps[3] = b.Steps[3], b.Steps[2] }, 3, api.ErrBundle, "confirms no disbursement of an earlier step"},
		{"a step in another chain", func(b *api.GiftBundle) { b.Steps[1].Proof.Header.ChainID = "x" }, 2, api.ErrProofChain, `is for chain "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := good()
			c.change(b)
			_, err := b.Verify(x.l.trust)
			var be *api.BundleError
			if !errors.As(err, &be) || be.Step != c.step || !errors.Is(err, c.cause) || !strings.Contains(err.Error(), c.words) {
				t.Fatalf("got %v, want step %d %v saying %q", err, c.step, c.cause, c.words)
			}
			if c.step > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("step %d (", c.step)) {
				t.Fatalf("%q does not name the step", err)
			}
		})
	}
}

// TestBundleVocabulary: the donation vocabulary a bundle reads is the
// contract's: each kind of step finds its event in the real receipts.
func TestBundleVocabulary(t *testing.T) {
	x := newLineage(t)
	want := map[tx.ID][]string{x.gift1: {"gift_received"}, x.approve: {"milestone_approved"}, x.d1: {"gift_disbursed", "disbursed"},
		x.confirm1: {"payee_confirmed"}, x.cancel: {"gift_refunded"}, x.reject: {"gift_refunded"}}
	for id, types := range want {
		var got []string
		for _, e := range x.l.proof(id).Receipt.Events {
			got = append(got, e.Type)
		}
		for _, ty := range types {
			if !slices.Contains(got, ty) {
				t.Errorf("%s: events %v, want %s", id, got, ty)
			}
		}
	}
}

func TestMoney(t *testing.T) {
	for in, want := range map[[2]string]string{{"1234", "EUR"}: "12.34 EUR", {"5", "EUR"}: "0.05 EUR", {"1234", "JPY"}: "1234 JPY",
		{"1234", "KWD"}: "1.234 KWD", {"x", "EUR"}: "x", {"7", ""}: "0.07"} {
		if got := api.Money(in[0], in[1]); got != want {
			t.Errorf("Money(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}
