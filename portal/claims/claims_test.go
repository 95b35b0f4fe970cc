package claims

import (
	"errors"
	"testing"

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
	ev := func(approved, share string) ledger.Event {
		return ledger.Event{Contract: Contract, Type: "claim_adjudicated", Attrs: []ledger.Attr{{Key: "outcome", Value: OutcomePartial},
			{Key: "approved", Value: approved}, {Key: "patient_share", Value: share}}}
	}
	c := &Claim{ID: "c", Items: []Item{{Seq: 1, Amount: 100}, {Seq: 2, Amount: 50}}}
	a := at{args: nil}
	if err := adjudicated(c, a, ev("120", "30")); !errors.Is(err, ErrEvent) {
		t.Fatalf("without arguments: %v", err)
	}
	a.args = argsOf("adjudication", []string{"2:20:plan-limit", "1:100"})
	if err := adjudicated(c, a, ev("120", "30")); err != nil || c.Approved != 120 || c.PatientShare != 30 ||
		c.Adjudication[1] != (Adjudication{Seq: 2, Approved: 20, Reason: "plan-limit"}) || c.Adjudication[0].Approved != 100 {
		t.Fatalf("%+v %v", c, err)
	}
	if err := adjudicated(c, a, ev("150", "0")); !errors.Is(err, ErrEvent) {
		t.Fatalf("a sum that disagrees with the event: %v", err)
	}
}

func argsOf(name string, v []string) tx.Args { return tx.Args{tx.Strings(name, v)} }
