package tx

import (
	"bytes"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes to exactly the input (one encoding per transaction).
func FuzzDecode(f *testing.F) {
	s, err := Sign(sampleBody(), testKey(f))
	if err != nil {
		f.Fatal(err)
	}
	enc, _ := s.Encode()
	f.Add(enc)
	f.Add(enc[:len(enc)/2])
	f.Add([]byte{0x82, 0x80, 0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		again, err := s.Encode()
		if err != nil {
			t.Fatalf("accepted tx does not re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted non-canonical input %x", data)
		}
		_ = s.Verify()
	})
}
