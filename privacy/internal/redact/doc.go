// Package redact is the one implementation of "never print the secret" for privacy's key and secret types
// (abe.Authority and AttributeKey, envelope.DataKey and ReaderKey, keystore's passphrase and Secret): every way fmt
// and log/slog turn a value into text (String, GoString, Format whatever the verb, LogValue) writes a fixed label
// instead.
//
// A type gets these methods by embedding a zero-size Label under an unexported alias, so that the field stays
// unexported and the zero value is redacted too:
//
//	type dataKeyLabel struct{}
//
//	func (dataKeyLabel) Redacted() string { return "envelope.DataKey(redacted)" }
//
//	type redactedDataKey = redact.Label[dataKeyLabel]
//
//	type DataKey struct {
//		redactedDataKey
//		k *dataKey
//	}
//
// A label that depends on the value (keystore.OrgKey shows its key id) is written by its type.
//
// # Imports
//
// The standard library only. Being internal, only packages under privacy/ may import it.
package redact
