package contracts

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// entry is one key and value of a state listed in key order.
type entry struct{ k, v string }

// listScan scans state (in key order, as the node's store keeps it).
func listScan(state []entry) func(string, func(string, []byte) bool) error {
	return func(prefix string, fn func(string, []byte) bool) error {
		for _, e := range state {
			if strings.HasPrefix(e.k, prefix) && !fn(e.k, []byte(e.v)) {
				return nil
			}
		}
		return nil
	}
}

func atoi(b []byte) (int, error) { return strconv.Atoi(string(b)) }

func TestScanDecoded(t *testing.T) {
	state := []entry{{"n/a", "1"}, {"n/b", "2"}, {"n/c", "3"}, {"other/x", "not a number"}}
	var got []int
	if err := ScanDecoded(listScan(state), "n/", atoi, func(v int) { got = append(got, v) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("decoded %v, want [1 2 3] (only the prefix, in key order)", got)
	}

	// The first value that does not decode stops the scan with decode's error.
	state[1].v = "two"
	got = nil
	err := ScanDecoded(listScan(state), "n/", atoi, func(v int) { got = append(got, v) })
	var numErr *strconv.NumError
	if !errors.As(err, &numErr) || numErr.Num != "two" {
		t.Fatalf("err = %v, want the decode error of \"two\"", err)
	}
	if !slices.Equal(got, []int{1}) {
		t.Fatalf("handed %v before the bad value, want [1] and nothing after it", got)
	}

	// scan's own error comes first, even when a value did not decode before it.
	failing := errors.New("disk gone")
	scan := func(prefix string, fn func(string, []byte) bool) error {
		fn(prefix+"x", []byte("bad"))
		return failing
	}
	if err := ScanDecoded(scan, "n/", atoi, func(int) { t.Fatal("fn called for a bad value") }); !errors.Is(err,
		failing) {
		t.Fatalf("err = %v, want scan's error", err)
	}
}
