package claims

import (
	"errors"
	"strings"
	"testing"
	"time"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/readmodel"
)

func TestParseAmounts(t *testing.T) {
	got, err := parseAmounts([]string{"10000", "5"})
	if err != nil || len(got) != 2 || got[0] != (Item{Seq: 1, Amount: 10000}) || got[1] != (Item{Seq: 2, Amount: 5}) {
		t.Fatalf("%+v %v", got, err)
	}
	for _, s := range []string{"99213:2026-01-02:1", "x", "-1", ""} {
		if _, err := parseAmounts([]string{s}); !errors.Is(err, readmodel.ErrCorrupt) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestAdjudicated(t *testing.T) {
	ev := func(args tx.Args, approved, share string) readmodel.CallEvent {
		return readmodel.CallEvent{Args: args, Event: ledger.Event{Contract: claimvocab.Name, Type: "claim_adjudicated",
			Attrs: []ledger.Attr{{Key: "outcome", Value: claimvocab.OutcomePartial},
				{Key: "approved", Value: approved}, {Key: "patient_share", Value: share}}}}
	}
	c := &Claim{ID: "c", Items: []Item{{Seq: 1, Amount: 100}, {Seq: 2, Amount: 50}}}
	if err := adjudicated(c, ev(nil, "120", "30")); !errors.Is(err, ErrEvent) {
		t.Fatalf("without arguments: %v", err)
	}
	args := argsOf("adjudication", []string{"2:20:plan-limit", "1:100"})
	if err := adjudicated(c, ev(args, "120", "30")); err != nil || c.Approved != 120 || c.PatientShare != 30 ||
		c.Adjudication[1] != (Adjudication{Seq: 2, Approved: 20, Reason: "plan-limit"}) || c.Adjudication[0].Approved != 100 {
		t.Fatalf("%+v %v", c, err)
	}
	if err := adjudicated(c, ev(args, "150", "0")); !errors.Is(err, ErrEvent) {
		t.Fatalf("a sum that disagrees with the event: %v", err)
	}
}

func argsOf(name string, v []string) tx.Args { return tx.Args{tx.Strings(name, v)} }

// TestDecision: the ledger's state of a claim as its FHIR responses show
// it — queued until an adjudication stands, complete after, queued again
// under appeal with the adjudication appealed against, the payment with
// its block time, a cancelled claim withdrawn.
func TestDecision(t *testing.T) {
	at := func(sec int64) int64 { return time.Unix(1_800_000_000+sec, 0).UnixNano() }
	c := &Claim{ID: "c", Provider: "stmarys", Patient: "stmarys/ana", Insurer: "acme", Currency: "EUR",
		Items: []Item{{Seq: 1, Amount: 100}, {Seq: 2, Amount: 50}}, Adjudication: []Adjudication{},
		Status:  claimvocab.StatusSubmitted,
		History: []Change{{Status: claimvocab.StatusSubmitted, Time: at(0)}}}
	d := c.Decision()
	if d.Complete || d.Cancelled || d.Payment != nil || len(d.Items) != 2 || d.Items[0].Adjudicated || d.Items[1].Claimed != 50 ||
		!d.Created.Equal(time.Unix(1_800_000_000, 0)) || d.Disposition != "filed; not yet in review" {
		t.Fatalf("filed: %+v", d)
	}
	c.Status, c.Outcome = claimvocab.StatusAdjudicated, claimvocab.OutcomePartial
	c.Adjudication = []Adjudication{{Seq: 1, Approved: 100}, {Seq: 2, Approved: 20, Reason: "plan-limit"}}
	c.History = append(c.History, Change{Status: claimvocab.StatusInReview, Time: at(10)},
		Change{Status: claimvocab.StatusAdjudicated, Time: at(20)})
	if d = c.Decision(); !d.Complete || !d.Items[1].Adjudicated || d.Items[1].Approved != 20 || d.Items[1].Reason != "plan-limit" ||
		d.Disposition != "partially approved" || !d.Created.Equal(time.Unix(1_800_000_020, 0)) {
		t.Fatalf("adjudicated: %+v", d)
	}
	c.Status = claimvocab.StatusAppealed
	c.Appeals = []Appeal{{Seq: 1, Reason: "documentation-added"}}
	c.History = append(c.History, Change{Status: claimvocab.StatusAppealed, Time: at(30)})
	if d = c.Decision(); d.Complete || !d.Items[1].Adjudicated || !strings.Contains(d.Disposition, "appealed (documentation-added)") {
		t.Fatalf("appealed: %+v", d)
	}
	c.Status, c.Outcome, c.PaymentRef, c.PaidAmount = claimvocab.StatusPaid, claimvocab.OutcomeApproved, "PAY-1", 150
	c.Adjudication[1] = Adjudication{Seq: 2, Approved: 50}
	c.History = append(c.History, Change{Status: claimvocab.StatusInReview, Time: at(40)},
		Change{Status: claimvocab.StatusAdjudicated, Time: at(50)},
		Change{Status: claimvocab.StatusPaid, Time: at(60)})
	if d = c.Decision(); !d.Complete || d.Payment == nil || d.Payment.Ref != "PAY-1" || d.Payment.Amount != 150 ||
		!d.Payment.Date.Equal(time.Unix(1_800_000_060, 0)) || d.Disposition != "approved after appeal (documentation-added); paid" {
		t.Fatalf("paid: %+v %+v", d, d.Payment)
	}
	cancelled := &Claim{ID: "x", Currency: "EUR", Items: []Item{{Seq: 1, Amount: 5}}, Status: claimvocab.StatusCancelled,
		History: []Change{{Status: claimvocab.StatusSubmitted}, {Status: claimvocab.StatusCancelled, Time: at(5)}}}
	if d = cancelled.Decision(); !d.Cancelled || d.Complete || !strings.Contains(d.Disposition, "withdrawn") {
		t.Fatalf("cancelled: %+v", d)
	}
}
