package vocab

import (
	"fmt"
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

// wantCheck checks the error of check: none when bad is "", else one
// that says bad.
func wantCheck(t *testing.T, check string, err error, bad string) {
	t.Helper()
	if bad == "" && err != nil || bad != "" && (err == nil || !strings.Contains(err.Error(), bad)) {
		t.Errorf("%s = %v, want %q", check, err, bad)
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
		wantCheck(t, fmt.Sprintf("CheckCall(%q, %v)", c.method, c.args), s.CheckCall(c.method, c.args), c.bad)
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
		wantCheck(t, fmt.Sprintf("CheckEvent(%q, %v)", c.typ, c.keys), s.CheckEvent(c.typ, c.keys), c.bad)
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
