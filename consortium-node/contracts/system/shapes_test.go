package system_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts/shapes"
	"github.com/almoner/almoner/consortium-node/contracts/system"
)

// TestShapesDeclareTheRegistry: every contract of the registry has a Shape
// (package shapes), and its Shape declares exactly the methods its
// dispatch table names, so that a method added, renamed or removed on one
// side fails here.
func TestShapesDeclareTheRegistry(t *testing.T) {
	reg, err := system.Registry()
	if err != nil {
		t.Fatal(err)
	}
	all := shapes.All()
	var names []string
	for _, c := range reg.Contracts() {
		names = append(names, c.Name())
		s, ok := all[c.Name()]
		if !ok {
			t.Errorf("%s: no Shape in package shapes", c.Name())
			continue
		}
		got := c.Methods().Names()
		slices.Sort(got)
		want := slices.Sorted(maps.Keys(s.Methods))
		if !slices.Equal(got, want) {
			t.Errorf("%s: its table names %v, its Shape declares %v", c.Name(), got, want)
		}
	}
	for name := range all {
		if !slices.Contains(names, name) {
			t.Errorf("package shapes declares %s, which the registry does not have", name)
		}
	}
}
