package binread

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

var (
	errIntegrity   = errors.New("test: integrity check failed")
	errUnsupported = errors.New("test: unsupported")
	format         = Format{What: "test record", Integrity: errIntegrity, Unsupported: errUnsupported}
)

// layout is a small format using every read: magic, a known version, a 2-byte
// length-prefixed id, a 1-byte length-prefixed label, u16, u32, u64 and a
// fixed field.
func layout(b []byte) (id string, label []byte, err error) {
	r := New(b, format)
	r.Magic("TEST")
	r.Known8("version", 1)
	id = r.String16("id", 8)
	label = r.Bytes8("label")
	_ = r.U16("a")
	_ = r.U32("b")
	_ = r.U64("c")
	_ = r.Take(3, "tail")
	r.End()
	return id, label, r.Err()
}

func sample() []byte {
	b := []byte("TEST\x01")
	b = append(b, 0, 3, 'r', 'e', 'c')
	b = append(b, 2, 'h', 'i')
	b = append(b, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3)
	return append(b, 'x', 'y', 'z')
}

func TestRead(t *testing.T) {
	r := New([]byte{1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 'a', 'b'}, format)
	if r.U8("a") != 1 || r.U16("b") != 2 || r.U32("c") != 3 || r.U64("d") != 4 || r.Len() != 2 {
		t.Fatal("integers misread")
	}
	s := r.Take(2, "e")
	if string(s) != "ab" || cap(s) != 2 || r.Offset() != 17 {
		t.Fatalf("take %q cap %d offset %d", s, cap(s), r.Offset())
	}
	r.End()
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	id, label, err := layout(sample())
	if err != nil || id != "rec" || string(label) != "hi" {
		t.Fatalf("layout: %q %q %v", id, label, err)
	}
}

// TestFailures: every way a layout can be wrong is refused with the
// format's integrity error, unknown versions also with its unsupported
// error, and messages name the format and the field.
func TestFailures(t *testing.T) {
	good := sample()
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name  string
		b     []byte
		unsup bool
		words string
	}{
		{"empty", nil, false, "truncated at magic"},
		{"bad magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), false, "bad magic"},
		{"version", edit(func(b []byte) []byte { b[4] = 2; return b }), true, "version 2"},
		{"zero id", edit(func(b []byte) []byte { b[5], b[6] = 0, 0; return b }), false, "id length 0, want 1..8"},
		{"long id", edit(func(b []byte) []byte { b[6] = 9; return b }), false, "id length 9"},
		{"id not UTF-8", edit(func(b []byte) []byte { b[7] = 0xff; return b }), false, "id is not valid UTF-8"},
		{"label overruns", edit(func(b []byte) []byte { b[10] = 200; return b }), false, "truncated at label"},
		{"truncated", good[:len(good)-1], false, "truncated at tail"},
		{"trailing", append(bytes.Clone(good), 0), false, "1 trailing bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := layout(tc.b)
			if !errors.Is(err, errIntegrity) || errors.Is(err, errUnsupported) != tc.unsup {
				t.Fatalf("got %v (unsupported %v)", err, tc.unsup)
			}
			if !strings.Contains(err.Error(), "test record: ") || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("message %q does not name the format and %q", err, tc.words)
			}
		})
	}
}

// TestFirstFailureSticks: after a failure every read returns zero values
// and consumes nothing, and the first error is kept.
func TestFirstFailureSticks(t *testing.T) {
	r := New([]byte{1, 2, 3}, format)
	if r.Take(4, "first") != nil {
		t.Fatal("overlong take returned bytes")
	}
	first := r.Err()
	if r.U8("second") != 0 || r.U16("x") != 0 || r.U32("x") != 0 || r.U64("x") != 0 || r.Take(0, "x") != nil ||
		r.Bytes8("x") != nil || r.String16("x", 4) != "" || r.Known8("x", 0) != 0 || r.Offset() != 0 {
		t.Fatal("a read after a failure returned data or consumed bytes")
	}
	r.Fail("later")
	r.Unsupported("later")
	r.End()
	if r.Err() != first || !strings.Contains(first.Error(), "first") {
		t.Fatalf("first error replaced: %v", r.Err())
	}
	if New(nil, format).Take(-1, "negative") != nil {
		t.Fatal("negative take")
	}
}

func TestNoName(t *testing.T) {
	r := New(nil, Format{Integrity: errIntegrity, Unsupported: errUnsupported})
	r.U8("x")
	if got := r.Err().Error(); got != "test: integrity check failed: truncated at x (offset 0)" {
		t.Fatalf("message %q", got)
	}
}

func TestNewNeedsErrors(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a format without errors accepted")
		}
	}()
	New(nil, Format{What: "x"})
}

// FuzzReader drives a reader with operations chosen by the input itself:
// it never panics, never returns bytes past the input or consumes after a
// failure, and every failure wraps the format's integrity error.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, sample())
	f.Add([]byte{6, 6, 7}, []byte{0, 2, 'o', 'k', 1, 'x'})
	f.Add([]byte{5}, []byte{})
	f.Fuzz(func(t *testing.T, ops, data []byte) {
		r := New(data, format)
		failed := false
		for _, op := range ops {
			before := r.Offset()
			var got []byte
			switch op % 9 {
			case 0:
				r.U8("u8")
			case 1:
				r.U16("u16")
			case 2:
				r.U32("u32")
			case 3:
				r.U64("u64")
			case 4:
				got = r.Take(int(op)/9, "take")
			case 5:
				r.Magic("AB")
			case 6:
				got = r.Bytes8("bytes8")
			case 7:
				if s := r.String16("string16", 16); len(s) > 16 {
					t.Fatalf("String16 returned %d bytes", len(s))
				}
			case 8:
				r.End()
			}
			if r.Offset() < before || r.Offset() > len(data) || r.Len() != len(data)-r.Offset() {
				t.Fatalf("offset %d -> %d of %d", before, r.Offset(), len(data))
			}
			if got != nil && !bytes.Equal(got, data[r.Offset()-len(got):r.Offset()]) {
				t.Fatal("returned bytes are not the input's")
			}
			if failed && r.Offset() != before {
				t.Fatal("consumed after a failure")
			}
			if r.Err() != nil {
				if !errors.Is(r.Err(), errIntegrity) {
					t.Fatalf("failure without the integrity error: %v", r.Err())
				}
				failed = true
			}
		}
	})
}
