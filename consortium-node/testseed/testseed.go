package testseed

import (
	"math/rand/v2"
	"testing"
)

// Seed returns flagged (the value of the test's seed flag), or a new random seed when it is 0, after logging it
// with replay, the flag (and whatever else the test needs) that reruns the test with it:
// "seed N (replay with REPLAY=N)".
func Seed(tb testing.TB, flagged uint64, replay string) uint64 {
	tb.Helper()
	seed := flagged
	if seed == 0 {
		seed = rand.Uint64()
	}
	tb.Logf("seed %d (replay with %s=%d)", seed, replay, seed)
	return seed
}
