package authz_test

import (
	"slices"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	governancevocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/internal/authz"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

// TestIncrementalEqualsReload: after every block, the enforcer brought up
// to date block by block (what a running node does) holds the same rules
// and decides the same as one loaded from scratch from the resulting state
// (what a restarted node does).
func TestIncrementalEqualsReload(t *testing.T) {
	orgs := []identity.Org{{ID: "stmarys", Kind: identityvocab.KindHospital, Name: "St Mary's"},
		{ID: "acme", Kind: identityvocab.KindInsurer, Name: "Acme"}}
	c := chaintest.New(t, chaintest.Options{Orgs: orgs, Members: []chaintest.Member{
		{ID: "stmarys/admin", Roles: []string{identityvocab.RoleOrgAdmin}},
		{ID: "acme/admin", Roles: []string{identityvocab.RoleOrgAdmin}},
		{ID: "stmarys/dr", Roles: []string{identityvocab.RolePhysician}},
	}})
	reqs := []policies.Request{
		{Sub: "stmarys/dr", Dom: "stmarys", Obj: "record", Act: "register", Org: "stmarys"},
		{Sub: "stmarys/nurse", Dom: "stmarys", Obj: "record", Act: "register", Org: "stmarys"},
		{Sub: "stmarys/nurse", Dom: "stmarys", Obj: "access_log", Act: "read", Org: "stmarys"},
		{Sub: "stmarys/dr", Dom: "stmarys", Obj: "report", Act: "read"},
	}
	check := func(step string) {
		t.Helper()
		fresh, err := authz.Load(c.Scan)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fresh.Rules(), c.Policy().Rules()) {
			t.Fatalf("%s: incremental rules differ from a reload", step)
		}
		for _, r := range reqs {
			a, _ := fresh.Enforce(r)
			b, _ := c.Policy().Enforce(r)
			if a.Allowed != b.Allowed {
				t.Fatalf("%s: %+v: reload says %v, incremental %v", step, r, a.Allowed, b.Allowed)
			}
		}
	}
	check("genesis")
	nurse := chaintest.Key("stmarys/nurse")
	c.Must("stmarys/admin", identity.Name, "add_member", tx.String("id", "stmarys/nurse"),
		tx.Strings("roles", []string{identityvocab.RoleRecordsClerk}),
		tx.String("sign_key", nurse.Public().String()), tx.String("enc_key", chaintest.EncKey("stmarys/nurse").String()))
	check("member added")
	c.Must("stmarys/admin", identity.Name, "set_roles", tx.String("id", "stmarys/nurse"),
		tx.Strings("roles", []string{identityvocab.RolePrivacyOfficer}))
	check("roles changed")
	p := c.Must("stmarys/admin", governance.Name, "propose", tx.String("kind", governancevocab.KindChangePolicy),
		tx.Strings("add_rules", []string{"physician,stmarys,report,read,any,allow"}),
		tx.Strings("remove_rules", []string{"physician,*,record,register,org,allow"}))
	c.Must("acme/admin", governance.Name, "approve", tx.String("proposal", p.ID.String()))
	check("policy changed")
	if d, _ := c.Policy().Enforce(reqs[0]); d.Allowed {
		t.Fatal("removed rule still allows")
	}
	c.Must("stmarys/admin", identity.Name, "revoke_member", tx.String("id", "stmarys/nurse"))
	check("member revoked")
	if d, _ := c.Policy().Enforce(reqs[2]); d.Allowed {
		t.Fatal("revoked member still allowed")
	}
	if d, _ := fresh(t, c).Enforce(reqs[2]); d.Allowed {
		t.Fatal("revoked member allowed after a reload")
	}
}

func fresh(t *testing.T, c *chaintest.Chain) *policies.Enforcer {
	e, err := authz.Load(c.Scan)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestUpdateForRejectsCorruptState(t *testing.T) {
	if _, err := authz.UpdateFor([]ledger.StateWrite{{Key: governancevocab.PolicyPrefix + "nurse|*|record|read|any|allow", Value: []byte{0}}}); err == nil {
		t.Fatal("a policy key that is not a valid rule was accepted")
	}
	if _, err := authz.UpdateFor([]ledger.StateWrite{{Key: identity.MemberStateKey("stmarys/x"), Value: []byte{0xff}}}); err == nil {
		t.Fatal("a corrupt member record was accepted")
	}
}
