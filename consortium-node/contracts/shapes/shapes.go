package shapes

import (
	"fmt"

	"github.com/almoner/almoner/consortium-node/contracts/vocab"

	claim "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consent "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	donation "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	governance "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	record "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
)

// All returns every contract's Shape by contract name.
func All() map[string]vocab.Shape {
	return map[string]vocab.Shape{
		claim.Name:        claim.Shape(),
		consent.Name:      consent.Shape(),
		consortium.Name:   consortium.Shape(),
		donation.Contract: donation.Shape(),
		governance.Name:   governance.Shape(),
		identity.Name:     identity.Shape(),
		record.Name:       record.Shape(),
	}
}

// CheckCall checks a call's argument names against its contract's Shape.
func CheckCall(contract, method string, args []string) error {
	return check(contract, func(s vocab.Shape) error { return s.CheckCall(method, args) })
}

// CheckEvent checks an event's attribute keys against its contract's
// Shape.
func CheckEvent(contract, typ string, keys []string) error {
	return check(contract, func(s vocab.Shape) error { return s.CheckEvent(typ, keys) })
}

// check runs fn on contract's Shape; its error names the contract.
func check(contract string, fn func(vocab.Shape) error) error {
	s, ok := All()[contract]
	if !ok {
		return fmt.Errorf("no contract %q declared", contract)
	}
	if err := fn(s); err != nil {
		return fmt.Errorf("%s: %w", contract, err)
	}
	return nil
}
