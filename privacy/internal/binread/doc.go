// Package binread is the one strict reader of privacy's binary formats
// (envelope's sealed records and wrapped keys, abe's wrapped keys and key
// encodings, keystore entries): big-endian fixed-size integers, magics and
// length-prefixed fields, read front to back from a byte slice.
//
// A Reader never panics and never reads past its input. Its first failure
// sticks: later reads return zero values, so a decoder reads straight
// through its layout and checks Err once. Every failure wraps the format's
// integrity error (and, for Unsupported, its unsupported error too), so a
// format's decoders report one kind of error whatever byte is wrong.
//
// # Imports
//
// The standard library only. Being internal, only packages under privacy/
// may import it; the formats themselves are theirs.
package binread
