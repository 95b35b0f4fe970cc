package apitest

import (
	"encoding/json"
	"testing"
)

// ThroughFloats decodes the JSON b the way JavaScript's JSON.parse, jq and most dynamic tools do (every number a
// float64, so integers past 2^53 are rounded) and encodes it again; it fails tb if b is not JSON.
func ThroughFloats(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
