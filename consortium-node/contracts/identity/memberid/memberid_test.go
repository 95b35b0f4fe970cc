package memberid

import "testing"

func TestShape(t *testing.T) {
	for id, want := range map[string][2]any{
		"stmarys/dr-lee": {"stmarys", true}, "stmarys": {"stmarys", false}, "a/b/c": {"a", false}, "/x": {"", false}, "": {"", false},
	} {
		if OrgOf(id) != want[0] || IsMember(id) != want[1] {
			t.Errorf("%q: OrgOf %q IsMember %v; want %v", id, OrgOf(id), IsMember(id), want)
		}
	}
}
