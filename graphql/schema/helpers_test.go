package schema

import "testing"

// TestRefs: Refs points at the slice's own elements, in order.
func TestRefs(t *testing.T) {
	xs := []int{1, 2, 3}
	ps := Refs(xs)
	if len(ps) != len(xs) {
		t.Fatalf("%d pointers for %d elements", len(ps), len(xs))
	}
	for i, p := range ps {
		if p != &xs[i] {
			t.Fatalf("pointer %d is not to element %d", i, i)
		}
	}
	if got := Refs([]string(nil)); len(got) != 0 {
		t.Fatalf("Refs(nil) = %v", got)
	}
}
