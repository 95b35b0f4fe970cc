package testseed

import (
	"math/rand/v2"
	"testing"
)

// Rand returns a randomised test's generator: NewRand of Seed's seed (flagged, or a new one logged with replay).
// A test that also names its seed in its failures calls Seed and NewRand itself.
func Rand(tb testing.TB, flagged uint64, replay string) *rand.Rand {
	tb.Helper()
	return NewRand(Seed(tb, flagged, replay))
}

// NewRand returns the generator that seed stands for: the same seed gives the same numbers on every run and
// machine, so a logged seed replays the test.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
