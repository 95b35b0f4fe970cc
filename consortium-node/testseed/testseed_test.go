package testseed

import "testing"

// TestSeed: a flagged seed is kept; without one, each call draws a new seed.
func TestSeed(t *testing.T) {
	if got := Seed(t, 42, "-x.seed"); got != 42 {
		t.Fatalf("flagged 42: got %d", got)
	}
	a, b := Seed(t, 0, "-x.seed"), Seed(t, 0, "-x.seed")
	if a == 0 || a == b {
		t.Fatalf("unflagged seeds %d and %d: want two new, non-zero ones", a, b)
	}
}
