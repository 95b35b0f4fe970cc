package contracts

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mapScan scans state in key order, as the node's store does.
func mapScan(state map[string]string) func(string, func(string, []byte) bool) error {
	return func(prefix string, fn func(string, []byte) bool) error {
		keys := make([]string, 0, len(state))
		for k := range state {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !fn(k, []byte(state[k])) {
				return nil
			}
		}
		return nil
	}
}

func atoi(b []byte) (int, error) { return strconv.Atoi(string(b)) }

func TestScanDecoded(t *testing.T) {
	state := map[string]string{"n/a": "1", "n/b": "2", "n/c": "3", "other/x": "not a number"}
	var got []int
	if err := ScanDecoded(mapScan(state), "n/", atoi, func(v int) { got = append(got, v) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("decoded %v, want [1 2 3] (only the prefix, in key order)", got)
	}

	// The first value that does not decode stops the scan with decode's error.
	state["n/b"] = "two"
	got = nil
	err := ScanDecoded(mapScan(state), "n/", atoi, func(v int) { got = append(got, v) })
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
