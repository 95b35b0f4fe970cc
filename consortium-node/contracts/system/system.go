// Package system lists the system contracts every node runs, so that the
// node, its tests and tools build the same registry.
package system

import (
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/contracts/record"
)

// Registry returns the registry of all system contracts, with the
// identity contract authenticating senders (an identity.Authenticator of
// its own, keeping senders' decoded member records).
func Registry() (*contracts.Registry, error) {
	return contracts.NewRegistry(identity.NewAuthenticator(0),
		identity.Contract{}, consortium.Contract{}, governance.Contract{},
		record.Contract{}, consent.Contract{}, donation.Contract{}, claim.Contract{})
}
