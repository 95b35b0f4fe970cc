package abe

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// reader decodes the fixed binary layouts of this package. The first failure
// sticks: later calls return zero values, so decoders read straight through
// and check r.err once.
type reader struct {
	what string // "wrapped key", "attribute key", ...
	b    []byte
	off  int
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %s", ErrIntegrity, r.what, fmt.Sprintf(format, args...))
	}
}

func (r *reader) unsupported(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %w: %s: %s", ErrIntegrity, ErrUnsupported, r.what, fmt.Sprintf(format, args...))
	}
}

func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.fail("truncated %s", field)
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

func (r *reader) u8(field string) uint8 {
	if s := r.take(1, field); s != nil {
		return s[0]
	}
	return 0
}

func (r *reader) u16(field string) uint16 {
	if s := r.take(2, field); s != nil {
		return binary.BigEndian.Uint16(s)
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	if s := r.take(4, field); s != nil {
		return binary.BigEndian.Uint32(s)
	}
	return 0
}

func (r *reader) u64(field string) uint64 {
	if s := r.take(8, field); s != nil {
		return binary.BigEndian.Uint64(s)
	}
	return 0
}

// magic consumes and checks a 4-byte magic.
func (r *reader) magic(want string) {
	if m := r.take(len(want), "magic"); m != nil && string(m) != want {
		r.fail("bad magic %x", m)
	}
}

// version consumes the format version and scheme id and checks them.
func (r *reader) versionScheme() {
	if v := r.u8("format version"); r.err == nil && v != FormatV1 {
		r.unsupported("format version %d", v)
	}
	if s := r.u8("scheme id"); r.err == nil && Scheme(s) != SchemeTKN20 {
		r.unsupported("scheme id %d", s)
	}
}

// recordID reads a 2-byte-length-prefixed record id.
func (r *reader) recordID() string {
	n := int(r.u16("record id length"))
	if r.err == nil && (n == 0 || n > MaxRecordIDLen) {
		r.fail("record id length %d out of range 1..%d", n, MaxRecordIDLen)
		return ""
	}
	s := r.take(n, "record id")
	if r.err == nil && !utf8.Valid(s) {
		r.fail("record id is not UTF-8")
		return ""
	}
	return string(s)
}

// token reads a 1-byte-length-prefixed attribute label or value.
func (r *reader) token(field string) string {
	n := int(r.u8(field + " length"))
	s := r.take(n, field)
	if r.err != nil {
		return ""
	}
	if err := checkToken(field, string(s)); err != nil {
		r.fail("%v", err)
		return ""
	}
	return string(s)
}

// end fails unless every byte has been consumed.
func (r *reader) end() {
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d trailing bytes", len(r.b)-r.off)
	}
}

func appendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func appendRecordID(b []byte, id string) []byte {
	return append(appendU16(b, uint16(len(id))), id...)
}

func appendToken(b []byte, s string) []byte {
	return append(append(b, byte(len(s))), s...)
}
