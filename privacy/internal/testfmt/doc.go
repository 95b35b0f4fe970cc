// Package testfmt holds what the tests of privacy's binary formats (envelope, keystore, abe) share: fixed
// "randomness" for reproducible bytes, golden files of hex and the decoding fuzz targets' check (Canonical). Only
// those packages' tests import it.
//
// # Imports
//
// The standard library only. Being internal, only packages under privacy/ may import it.
package testfmt
