package claimdoc

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	contracts "github.com/almoner/almoner/consortium-node/contracts/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// KeyIDLen is the length of a fingerprint key id (Key.ID): 32 lower-case
// hex digits.
const KeyIDLen = 32

// ValidateKeyID checks a fingerprint key id's shape.
func ValidateKeyID(id string) error {
	if len(id) != KeyIDLen || strings.Trim(id, "0123456789abcdef") != "" {
		return fmt.Errorf("%w: a claims fingerprint key id is %d lower-case hex digits", contracts.ErrInvalid, KeyIDLen)
	}
	return nil
}

// KeyIDKey is the key, in the claim contract's key space, of a provider's
// claims fingerprint key id.
func KeyIDKey(org string) string { return "key/" + org }

// KeyIDStateKey is the full state key of org's fingerprint key id.
func KeyIDStateKey(org string) string { return contracts.Key(ClaimContract, KeyIDKey(org)) }

// Genesis returns the claim contract's genesis state: each hospital's
// claims fingerprint key id (Key.ID), by organisation. A hospital without
// one files no claims.
func Genesis(keyIDs map[string]string) ([]ledger.StateWrite, error) {
	orgs := slices.Sorted(maps.Keys(keyIDs))
	out := make([]ledger.StateWrite, 0, len(orgs))
	for _, org := range orgs {
		if err := identity.ValidateID(org, false); err != nil {
			return nil, fmt.Errorf("claims key of %q: %w", org, err)
		}
		if err := ValidateKeyID(keyIDs[org]); err != nil {
			return nil, fmt.Errorf("claims key of %q: %w", org, err)
		}
		out = append(out, ledger.StateWrite{Key: KeyIDStateKey(org), Value: []byte(keyIDs[org])})
	}
	return out, nil
}
