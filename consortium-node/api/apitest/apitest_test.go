package apitest

import (
	"bytes"
	"testing"
)

// TestThroughFloats: numbers come back as float64s leave them (rounded past 2^53, in exponent form when large),
// strings and structure as they were.
func TestThroughFloats(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":1,"b":"x"}`, `{"a":1,"b":"x"}`},
		{`{"t":1700000000123456789}`, `{"t":1700000000123456800}`},
		{`[9007199254740993,"9007199254740993"]`, `[9007199254740992,"9007199254740993"]`},
		{`{"big":1e300,"neg":-2.50}`, `{"big":1e+300,"neg":-2.5}`},
	} {
		if got := ThroughFloats(t, []byte(c.in)); !bytes.Equal(got, []byte(c.want)) {
			t.Errorf("ThroughFloats(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// fatalTB records whether Fatal was called instead of stopping the test.
type fatalTB struct {
	testing.TB
	failed bool
}

func (f *fatalTB) Helper()      {}
func (f *fatalTB) Fatal(...any) { f.failed = true }

// TestThroughFloatsNotJSON: bytes that are not JSON fail the test.
func TestThroughFloatsNotJSON(t *testing.T) {
	f := &fatalTB{TB: t}
	ThroughFloats(f, []byte(`{"a":`))
	if !f.failed {
		t.Fatal("ThroughFloats accepted bytes that are not JSON")
	}
}
