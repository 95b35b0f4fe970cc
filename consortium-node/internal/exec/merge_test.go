package exec

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/almoner/almoner/consortium-node/testseed"
)

// TestMergeWrites: lists sorted by key, no key in two of them, merge into
// the one sorted list (any number of lists, empty ones included); no
// writes at all is nil, as a serial collection of none.
func TestMergeWrites(t *testing.T) {
	seed := testseed.Seed(t, *seedFlag, "-exec.seed")
	r := testseed.NewRand(seed)
	for round := range 200 {
		k := r.IntN(9)
		parts := make([][]Write, k)
		var all []Write
		for i := range r.IntN(300) {
			w := Write{Key: fmt.Sprintf("k%08d", r.IntN(1_000_000)*1000+i), Value: []byte{byte(i)}}
			if k == 0 {
				break
			}
			p := r.IntN(k)
			parts[p] = append(parts[p], w)
			all = append(all, w)
		}
		for _, p := range parts {
			sortWrites(p)
		}
		sortWrites(all)
		got := mergeWrites(parts)
		if len(all) == 0 {
			if got != nil {
				t.Fatalf("seed %d round %d: no writes merged into %#v, want nil", seed, round, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, all) || !slices.IsSortedFunc(got, compareWrites) {
			t.Fatalf("seed %d round %d: %d lists merged wrong", seed, round, k)
		}
	}
}
