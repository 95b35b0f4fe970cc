package testseed

import (
	"slices"
	"testing"
)

// draws returns n numbers from Rand or NewRand's generator.
func draws(next func() uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = next()
	}
	return out
}

// TestNewRand: a seed gives the same numbers every time; another seed, others.
func TestNewRand(t *testing.T) {
	a, b, c := draws(NewRand(42).Uint64, 8), draws(NewRand(42).Uint64, 8), draws(NewRand(43).Uint64, 8)
	if !slices.Equal(a, b) {
		t.Fatalf("seed 42 gave %v, then %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("seeds 42 and 43 both gave %v", a)
	}
}

// TestRand: a flagged seed's generator is NewRand's of that seed (the replay); without a flag, each call draws a
// new seed and so new numbers.
func TestRand(t *testing.T) {
	if got, want := draws(Rand(t, 42, "-x.seed").Uint64, 8), draws(NewRand(42).Uint64, 8); !slices.Equal(got, want) {
		t.Fatalf("flagged 42 gave %v, NewRand(42) %v", got, want)
	}
	if a, b := draws(Rand(t, 0, "-x.seed").Uint64, 8), draws(Rand(t, 0, "-x.seed").Uint64, 8); slices.Equal(a, b) {
		t.Fatalf("two unflagged generators both gave %v", a)
	}
}
