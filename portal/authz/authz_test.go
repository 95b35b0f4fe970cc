package authz_test

import (
	"testing"
	"time"

	governancevocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/authz"
	"github.com/almoner/almoner/portal/internal/rmtest"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/portal/readmodel"
)

// TestPolicyFollowsTheChain: the portal's enforcer decides like the nodes
// do, and follows a governance policy change and a role change at the
// height its read model applies them.
func TestPolicyFollowsTheChain(t *testing.T) {
	n := testnode.Start(t)
	reg := readmodel.NewRegistry()
	if err := reg.Register(authz.Module()); err != nil {
		t.Fatal(err)
	}
	s, err := readmodel.Open("", reg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, stop := rmtest.RunFollower(t, readmodel.FollowerConfig{Store: s, Source: n.Client, StatusEvery: 100 * time.Millisecond})
	defer stop()
	rmtest.WaitApplied(t, s, 0)
	p := authz.New(s)
	allowed := func(member, obj, act, owner, org string) bool {
		t.Helper()
		ok, err := p.Allowed(member, obj, act, owner, org, false)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !allowed("stmarys/dr-lee", recordvocab.Name, recordvocab.MethodRegister, "",
		"stmarys") || allowed("stmarys/dr-lee", recordvocab.Name, recordvocab.MethodRegister, "", "acme") {
		t.Fatal("genesis policy decides wrongly")
	}
	if allowed("hope/donor-sam", "report", "read", "", "hope") {
		t.Fatal("donor reads reports under the default policy")
	}
	// A policy change approved by three of four organisations.
	prop := n.Send(t, "stmarys/admin", governancevocab.Name, governancevocab.MethodPropose,
		tx.String(governancevocab.ArgKind, "change_policy"),
		tx.Strings(governancevocab.ArgAddRules, []string{"donor * report read any allow"}))
	if !prop.Receipt.OK() {
		t.Fatal(prop.Receipt.Error)
	}
	n.Send(t, "acme/admin", governancevocab.Name, governancevocab.MethodApprove,
		tx.String(governancevocab.ArgProposal, prop.ID.String()))
	rmtest.WaitApplied(t, s,
		n.Send(t, "stmarys/admin", identityvocab.Name, identityvocab.MethodSetRoles,
			tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
			tx.Strings(identityvocab.ArgRoles, []string{"physician", "privacy_officer"})).Height)
	if allowed("hope/donor-sam", "report", "read", "", "hope") {
		t.Fatal("the change is in force before the threshold")
	}
	if !allowed("stmarys/dr-lee", "access_log", "read", "", "stmarys") {
		t.Fatal("the role change is not in force")
	}
	last := n.Send(t, "hope/admin", governancevocab.Name, governancevocab.MethodApprove,
		tx.String(governancevocab.ArgProposal, prop.ID.String()))
	rmtest.WaitApplied(t, s, last.Height)
	if !allowed("hope/donor-sam", "report", "read", "", "hope") {
		t.Fatal("the executed change is not in force in the portal")
	}
}
