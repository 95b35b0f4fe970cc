package app

import (
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	"github.com/almoner/almoner/graphql/claimgql"
	"github.com/almoner/almoner/graphql/donationgql"
	"github.com/almoner/almoner/graphql/governancegql"
	"github.com/almoner/almoner/graphql/inboxgql"
	"github.com/almoner/almoner/graphql/patientgql"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/authz"
	"github.com/almoner/almoner/portal/claims"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/governance"
	"github.com/almoner/almoner/portal/inbox"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/records"
)

// builtinReadModules are the read-model modules of the domain contracts
// every portal indexes, registered before Config.ReadModules.
func builtinReadModules() []readmodel.Module {
	return []readmodel.Module{authz.Module(), donations.Module(), claims.Module(), patients.Module(), governance.Module(),
		inbox.Module()}
}

// builtinModules are the schema modules every portal serves, built before
// Config.Modules. claimsKeys are the hospitals' claims keys this portal
// holds (it files claims for those hospitals only).
func builtinModules(claimsKeys map[string]*claimdoc.Key, recs *records.Records) []schema.Module {
	return []schema.Module{donationgql.New(), claimgql.New(claimgql.Config{Keys: claimsKeys, Records: recs}), patientgql.New(),
		governancegql.New(), inboxgql.New()}
}
