package donations

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/portal/readmodel"
)

func TestParseAllocations(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Allocation
		bad  bool
	}{
		{"", []Allocation{}, false},
		{"1:500", []Allocation{{Milestone: 1, Amount: 500, Left: 500}}, false},
		{"1:100,2:50", []Allocation{{Milestone: 1, Amount: 100, Left: 100}, {Milestone: 2, Amount: 50, Left: 50}}, false},
		{"1-100", nil, true},
		{"x:1", nil, true},
		{"1:-5", nil, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseAllocations(tc.in, false)
			if tc.bad {
				if !errors.Is(err, readmodel.ErrCorrupt) {
					t.Fatalf("got %v, want an ErrCorrupt error", err)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v %v", got, err)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestParseMilestone(t *testing.T) {
	m, err := ParseMilestone("600 healthreg/validator 1900000000 Surgery  and care", 1)
	if err != nil || m.Amount != 600 || m.Validator != "healthreg/validator" || m.Deadline != 1900000000 || m.Title != "Surgery and care" || m.Status != vocab.MilestonePending {
		t.Fatalf("%+v %v", m, err)
	}
	for _, s := range []string{"600 v 1900000000", "x v 1 t", "1 v later t"} {
		if _, err := ParseMilestone(s, 1); !errors.Is(err, ErrEvent) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	rep := &Report{Charity: "hope", From: time.Unix(0, 0), To: time.Unix(86400, 0), Campaigns: []*ReportRow{
		{Campaign: "c1", Title: `=HYPERLINK("http://x")`, Currency: "EUR", Income: 10, Gifts: 1, Disbursed: 15, Disbursements: 1},
		{Campaign: "c2", Title: "Plain, with comma", Currency: "EUR", Refunded: 3, Refunds: 1},
		{Campaign: "c3", Title: "Yen", Currency: "JPY", Income: 250000, Gifts: 2},
	}}
	got := rep.CSV()
	want := "charity,from,to,campaign,title,currency,income,gifts,disbursed,disbursements,refunded,refunds,net\n" +
		"hope,1970-01-01T00:00:00Z,1970-01-02T00:00:00Z,c1,\"'=HYPERLINK(\"\"http://x\"\")\",EUR,0.10,1,0.15,1,0.00,0,-0.05\n" +
		"hope,1970-01-01T00:00:00Z,1970-01-02T00:00:00Z,c2,\"Plain, with comma\",EUR,0.00,0,0.00,0,0.03,1,-0.03\n" +
		"hope,1970-01-01T00:00:00Z,1970-01-02T00:00:00Z,c3,Yen,JPY,250000,2,0,0,0,0,250000\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	rep.Entries = []Entry{{Kind: EntryDisbursement, Campaign: "c1", Milestone: 1, Amount: 15, Currency: "EUR", Disbursement: "d1", Payee: "+stmarys", Height: 7, Time: 1e9, TxID: "ab"}}
	if e := rep.EntriesCSV(); !strings.Contains(e, "1970-01-01T00:00:01Z,7,ab,disbursement,c1,1,EUR,0.15,,d1,'+stmarys,\n") {
		t.Fatalf("entries CSV:\n%s", e)
	}
}

func TestLineageTouched(t *testing.T) {
	l := &Lineage{Gift: &Gift{Updated: 5}, Allocations: []LineageAllocation{{Milestone: Milestone{StatusedAt: 3}}, {Milestone: Milestone{StatusedAt: 8}}}}
	for h, want := range map[uint64]bool{5: true, 8: true, 3: true, 4: false, 9: false} {
		if got := l.Touched(h); got != want {
			t.Errorf("height %d: %v", h, got)
		}
	}
}

func TestBalances(t *testing.T) {
	c := &Campaign{Raised: 950, Disbursed: 550, Refunded: 100}
	g := &Gift{Allocations: []Allocation{{Left: 20}, {Left: 30}}, Uses: []Use{{Kind: UseDisbursement, Amount: 40}, {Kind: UseRefund, Amount: 10}}}
	if c.Balance() != 300 || g.Escrow() != 50 || g.Disbursed() != 40 || g.Refunded() != 10 {
		t.Fatalf("balance %d escrow %d disbursed %d refunded %d", c.Balance(), g.Escrow(), g.Disbursed(), g.Refunded())
	}
	if c.Milestone(0) != nil || c.Milestone(1) != nil {
		t.Fatal("milestone out of range")
	}
}
