package vocab

import (
	"slices"
	"strings"
	"testing"
)

func testShape() Shape {
	return Shape{
		Methods:  map[string][]string{"give": {"campaign_id", "amount", "milestone"}, "open": {"campaign_id"}},
		Events:   map[string][]string{"gift": {"gift", "amount", "reason"}, "opened": {"campaign"}},
		Optional: map[string][]string{"gift": {"reason"}},
	}
}

func TestCheckCall(t *testing.T) {
	s := testShape()
	for _, c := range []struct {
		method string
		args   []string
		bad    string // in the error; "" for none
	}{
		{"give", []string{"campaign_id", "amount", "milestone"}, ""},
		{"give", []string{"amount"}, ""}, // a method need not be given every argument it reads
		{"give", nil, ""},
		{"give", []string{"campaign_id", "items"}, `no argument "items"`},
		{"open", []string{"amount"}, `no argument "amount"`},
		{"close", nil, `no method "close"`},
	} {
		err := s.CheckCall(c.method, c.args)
		if c.bad == "" && err != nil || c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)) {
			t.Errorf("CheckCall(%q, %v) = %v, want %q", c.method, c.args, err, c.bad)
		}
	}
}

func TestCheckEvent(t *testing.T) {
	s := testShape()
	for _, c := range []struct {
		typ  string
		keys []string
		bad  string
	}{
		{"gift", []string{"gift", "amount", "reason"}, ""},
		{"gift", []string{"amount", "gift"}, ""}, // reason is optional
		{"gift", []string{"gift", "amount", "reason", "reason"}, ""},
		{"gift", []string{"gift"}, `lacks its attribute "amount"`},
		{"gift", []string{"gift", "amount", "donor"}, `no attribute "donor"`},
		{"opened", nil, `lacks its attribute "campaign"`},
		{"closed", nil, `no event "closed"`},
	} {
		err := s.CheckEvent(c.typ, c.keys)
		if c.bad == "" && err != nil || c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)) {
			t.Errorf("CheckEvent(%q, %v) = %v, want %q", c.typ, c.keys, err, c.bad)
		}
	}
}

func TestArgsAndAttrs(t *testing.T) {
	s := testShape()
	if got, want := s.Args(), []string{"amount", "campaign_id", "milestone"}; !slices.Equal(got, want) {
		t.Errorf("Args() = %v, want %v", got, want)
	}
	if got, want := s.Attrs(), []string{"amount", "campaign", "gift", "reason"}; !slices.Equal(got, want) {
		t.Errorf("Attrs() = %v, want %v", got, want)
	}
}
