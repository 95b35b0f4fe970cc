// Package vocab is the vocabulary every system contract shares, defined
// once: the reasons a call is refused (the sentinels a failed receipt's
// message starts from) and the shape of a full state key. The contract
// runtime (consortium-node/contracts) re-exports these; each contract's own
// vocabulary package (contracts/<name>/vocab) builds on them, so that a
// portal can validate and decode what contracts write without linking the
// executor or any contract implementation. It imports only the standard
// library.
//
// Shape declares a contract's calls (method → arguments read) and events
// (type → attribute keys). Each contract's vocabulary names its methods
// Method<Name>, their arguments Arg<Name> and its event attributes
// Attr<Name>, <Name> the wire name in Go's camel case ("campaign_id":
// ArgCampaignID, AttrCampaign; "give": MethodGive), and returns its Shape
// from Shape(); nothing else spells an argument or attribute name (package
// shapes' tests check it).
package vocab

import "errors"

// Errors a transaction can fail with. Contracts wrap them with detail; the
// message ends up in the failed receipt, so it must be deterministic and
// must never contain personal health data or secrets.
var (
	ErrUnknownContract = errors.New("unknown contract")
	ErrUnknownMethod   = errors.New("unknown method")
	ErrUnauthenticated = errors.New("sender not authenticated")
	ErrDenied          = errors.New("permission denied")
	ErrInvalid         = errors.New("invalid argument")
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
)

// Key returns the full state key of a contract's key.
func Key(contract, key string) string { return contract + "/" + key }
