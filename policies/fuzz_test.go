package policies

import "testing"

// FuzzParse fuzzes the rule parsers (rules arrive in governance proposals
// from the network): no panic; an accepted rule is valid and its String
// parses back to itself.
func FuzzParse(f *testing.F) {
	f.Add("p, physician, *, record, read, consent, allow")
	f.Add(defaultCSV)
	f.Add("donor,stmarys,gift,*,own,deny")
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseRule(s); err == nil {
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted invalid %q: %v", s, err)
			}
			if again, err := ParseRule(r.String()); err != nil || again != r {
				t.Fatalf("%q does not round-trip: %v %v", r, again, err)
			}
		}
		_, _ = ParseCSV(s)
	})
}
