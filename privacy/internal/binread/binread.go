package binread

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Format says how a Reader's failures read.
type Format struct {
	// What names the format in messages ("wrapped key"); empty for none.
	What string
	// Integrity is wrapped by every failure (the format's ErrIntegrity).
	Integrity error
	// Unsupported is wrapped, with Integrity, by Unsupported's failures: a
	// version or algorithm this build does not know.
	Unsupported error
}

// Reader is a strict cursor over b. It is not safe for concurrent use.
type Reader struct {
	f   Format
	b   []byte
	off int
	err error
}

// New returns a reader of b in format f. It panics if f.Integrity or
// f.Unsupported is nil: formats are constants of their package.
func New(b []byte, f Format) *Reader {
	if f.Integrity == nil || f.Unsupported == nil {
		panic("binread: a format needs its integrity and unsupported errors")
	}
	return &Reader{f: f, b: b}
}

// Err returns the first failure, or nil.
func (r *Reader) Err() error { return r.err }

// Offset returns how many bytes have been consumed.
func (r *Reader) Offset() int { return r.off }

// Len returns how many bytes are left.
func (r *Reader) Len() int { return len(r.b) - r.off }

func (r *Reader) prefix() string {
	if r.f.What == "" {
		return ""
	}
	return r.f.What + ": "
}

// Fail records a failure (a format error: the bytes are not what the
// format allows) unless one is recorded already.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s%s", r.f.Integrity, r.prefix(), fmt.Sprintf(format, args...))
	}
}

// Unsupported records a failure that is also the format's unsupported
// error (an unknown version or algorithm), unless one is recorded already.
func (r *Reader) Unsupported(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %w: %s%s", r.f.Integrity, r.f.Unsupported, r.prefix(), fmt.Sprintf(format, args...))
	}
}

// Take consumes n bytes and returns them (capacity capped, so appending
// to them never writes into the input); nil after a failure or when fewer
// than n bytes are left.
func (r *Reader) Take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.Fail("truncated at %s (offset %d)", field, r.off)
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

// U8 consumes one byte.
func (r *Reader) U8(field string) uint8 {
	if s := r.Take(1, field); s != nil {
		return s[0]
	}
	return 0
}

// Known8 consumes one byte that names a format version or an algorithm and returns it; any value but want is
// Unsupported ("field N").
func (r *Reader) Known8(field string, want uint8) uint8 {
	v := r.U8(field)
	if r.err == nil && v != want {
		r.Unsupported("%s %d", field, v)
	}
	return v
}

// U16 consumes a big-endian uint16.
func (r *Reader) U16(field string) uint16 {
	if s := r.Take(2, field); s != nil {
		return binary.BigEndian.Uint16(s)
	}
	return 0
}

// U32 consumes a big-endian uint32.
func (r *Reader) U32(field string) uint32 {
	if s := r.Take(4, field); s != nil {
		return binary.BigEndian.Uint32(s)
	}
	return 0
}

// U64 consumes a big-endian uint64.
func (r *Reader) U64(field string) uint64 {
	if s := r.Take(8, field); s != nil {
		return binary.BigEndian.Uint64(s)
	}
	return 0
}

// Magic consumes len(want) bytes and fails unless they are want.
func (r *Reader) Magic(want string) {
	if m := r.Take(len(want), "magic"); m != nil && string(m) != want {
		r.Fail("bad magic %x", m)
	}
}

// Bytes8 consumes a field prefixed by its 1-byte length.
func (r *Reader) Bytes8(field string) []byte {
	n := int(r.U8(field + " length"))
	return r.Take(n, field)
}

// String16 consumes a UTF-8 string of 1..max bytes prefixed by its 2-byte
// length (record and reader ids); "" after a failure.
func (r *Reader) String16(field string, max int) string {
	n := int(r.U16(field + " length"))
	if r.err != nil {
		return ""
	}
	if n == 0 || n > max {
		r.Fail("%s length %d, want 1..%d", field, n, max)
		return ""
	}
	s := r.Take(n, field)
	if s == nil {
		return ""
	}
	if !utf8.Valid(s) {
		r.Fail("%s is not valid UTF-8", field)
		return ""
	}
	return string(s)
}

// End fails unless every byte has been consumed.
func (r *Reader) End() {
	if r.err == nil && r.off != len(r.b) {
		r.Fail("%d trailing bytes", len(r.b)-r.off)
	}
}
