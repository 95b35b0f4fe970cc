package abe

import (
	"encoding/binary"

	"github.com/almoner/almoner/privacy/internal/binread"
)

// reader decodes the fixed binary layouts of this package: the strict
// reader of privacy's formats (binread), whose first failure sticks, so
// decoders read straight through and check r.Err() once, plus this
// package's fields.
type reader struct{ *binread.Reader }

// newReader reads b as what ("wrapped key", "attribute key", ...).
func newReader(what string, b []byte) reader {
	return reader{binread.New(b, binread.Format{What: what, Integrity: ErrIntegrity, Unsupported: ErrUnsupported})}
}

// newKeyReader reads b as the key encoding what, past its opening: magic,
// then the format version and scheme id, checked.
func newKeyReader(what, magic string, b []byte) reader {
	r := newReader(what, b)
	r.Magic(magic)
	r.Known8("format version", FormatV1)
	r.Known8("scheme id", uint8(SchemeTKN20))
	return r
}

// recordID reads a 2-byte-length-prefixed record id.
func (r reader) recordID() string { return r.String16("record id", MaxRecordIDLen) }

// token reads a 1-byte-length-prefixed attribute label or value.
func (r reader) token(field string) string {
	s := r.Bytes8(field)
	if r.Err() != nil {
		return ""
	}
	if err := checkToken(field, string(s)); err != nil {
		r.Fail("%v", err)
		return ""
	}
	return string(s)
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
