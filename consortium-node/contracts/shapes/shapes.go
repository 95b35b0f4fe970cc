package shapes

import (
	"fmt"

	"github.com/almoner/almoner/consortium-node/contracts/vocab"

	claim "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consent "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	donation "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	record "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
)

// All returns every contract's Shape by contract name.
func All() map[string]vocab.Shape {
	return map[string]vocab.Shape{
		claim.Name:        claim.Shape(),
		consent.Name:      consent.Shape(),
		donation.Contract: donation.Shape(),
		record.Name:       record.Shape(),
	}
}

// CheckCall checks a call's argument names against its contract's Shape.
// A contract without a declared Shape is not checked.
func CheckCall(contract, method string, args []string) error {
	s, ok := All()[contract]
	if !ok {
		return nil
	}
	if err := s.CheckCall(method, args); err != nil {
		return fmt.Errorf("%s: %w", contract, err)
	}
	return nil
}

// CheckEvent checks an event's attribute keys against its contract's
// Shape. A contract without a declared Shape is not checked.
func CheckEvent(contract, typ string, keys []string) error {
	s, ok := All()[contract]
	if !ok {
		return nil
	}
	if err := s.CheckEvent(typ, keys); err != nil {
		return fmt.Errorf("%s: %w", contract, err)
	}
	return nil
}
