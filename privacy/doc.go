// Package privacy is the root of Almoner's cryptography: signature key types
// (privacy/sign), and later record envelopes, HPKE key wrapping and CP-ABE.
// Everything here is built on github.com/cloudflare/circl.
package privacy
