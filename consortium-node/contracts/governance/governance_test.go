package governance_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	consortiumvocab "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	governancevocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
)

func newChain(t *testing.T) *chaintest.Chain {
	ms := map[string][]string{
		identityvocab.RoleOrgAdmin:        {"stmarys/admin", "city/admin", "acme/admin", "hope/admin"},
		identityvocab.RolePhysician:       {"stmarys/dr"},
		identityvocab.RolePatient:         {"stmarys/pat"},
		identityvocab.RoleConsortiumAdmin: {"city/cadmin"},
	}
	node := func(id, org string, raft uint64) consortium.Node {
		return consortium.Node{ID: id, Org: org, RaftID: raft, SignKey: chaintest.Key("node " + id).Public(), EncKey: chaintest.EncKey(id),
			RaftAddr: "127.0.0.1:1", APIAddr: "127.0.0.1:2"}
	}
	return chaintest.New(t, chaintest.Options{Orgs: chaintest.Orgs("stmarys", "city", "acme", "hope"), Roles: ms,
		Nodes: []consortium.Node{node("stmarys-n", "stmarys", 1), node("acme-n", "acme", 2), node("city-n", "city", 3)}})
}

func propose(c *chaintest.Chain, who, kind string, args ...tx.Arg) (string, error) {
	r := c.Call(who, governance.Name, governancevocab.MethodPropose,
		append([]tx.Arg{tx.String(governancevocab.ArgKind, kind)}, args...)...)
	return r.ID.String(), r.Err
}

func vote(c *chaintest.Chain, who, method, id string) error {
	return c.Call(who, governance.Name, method, tx.String(governancevocab.ArgProposal, id)).Err
}

func status(t *testing.T, c *chaintest.Chain, id string) *governance.View {
	t.Helper()
	v, err := governance.Status(c.Reader(), id, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func register(c *chaintest.Chain, who, id string) error {
	return c.Call(who, record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, id),
		tx.Uint(recordvocab.ArgVersion, 1),
		tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed(id)), tx.String(recordvocab.ArgPatient, "stmarys/pat"),
		tx.String(recordvocab.ArgCategory, "lab")).Err
}

const denyRegister = "physician,*,record,register,any,deny"

// TestPolicyChangeNeedsThreshold: a rule proposed by one admin does
// nothing until a majority of organisations approved; then it holds from
// the next block on.
func TestPolicyChangeNeedsThreshold(t *testing.T) {
	c := newChain(t)
	if err := register(c, "stmarys/dr", "rec-1"); err != nil {
		t.Fatalf("before: %v", err)
	}
	id, err := propose(c, "stmarys/admin", governancevocab.KindChangePolicy,
		tx.Strings(governancevocab.ArgAddRules, []string{denyRegister}))
	if err != nil {
		t.Fatal(err)
	}
	v := status(t, c, id)
	if v.State != governancevocab.StatusOpen || !slices.Equal(v.Tally.Approved,
		[]string{"stmarys"}) || v.Tally.Needed != 3 ||
		!slices.Equal(v.Tally.Missing, []string{"acme", "city", "hope"}) {
		t.Fatalf("after proposing: %+v %+v", v.Proposal, v.Tally)
	}
	if err := register(c, "stmarys/dr", "rec-2"); err != nil {
		t.Fatalf("a proposal alone changed the policy: %v", err)
	}
	if err := vote(c, "city/admin", "approve", id); err != nil {
		t.Fatal(err)
	}
	if err := vote(c, "city/admin", "approve", id); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("second vote of an organisation: %v", err)
	}
	if err := register(c, "stmarys/dr", "rec-3"); err != nil {
		t.Fatalf("2 of 4 organisations changed the policy: %v", err)
	}
	// The deciding approval and a register in the same block: the block
	// runs on the policy as of its start.
	res := c.Block(c.Sign("acme/admin", governance.Name, governancevocab.MethodApprove,
		tx.String(governancevocab.ArgProposal, id)),
		c.Sign("stmarys/dr", record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, "rec-4"),
			tx.Uint(recordvocab.ArgVersion, 1),
			tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("rec-4")),
			tx.String(recordvocab.ArgPatient, "stmarys/pat"), tx.String(recordvocab.ArgCategory, "lab")))
	if res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("deciding block: %v / %v", res[0].Err, res[1].Err)
	}
	if v := status(t, c, id); v.State != governancevocab.StatusExecuted || v.Decided != c.Height {
		t.Fatalf("after the deciding approval: %+v", v.Proposal)
	}
	err = register(c, "stmarys/dr", "rec-5")
	if !errors.Is(err, contracts.ErrDenied) || !strings.Contains(err.Error(), `denied by rule "`+denyRegister+`"`) ||
		!strings.Contains(err.Error(), "stmarys/dr") || !strings.Contains(err.Error(), `"register" on record`) {
		t.Fatalf("after: %v", err)
	}
	if err := vote(c, "hope/admin", "approve", id); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("vote on an executed proposal: %v", err)
	}
}

func TestExpiredProposalDoesNothing(t *testing.T) {
	c := newChain(t)
	id, err := propose(c, "stmarys/admin", governancevocab.KindChangePolicy,
		tx.Strings(governancevocab.ArgAddRules, []string{denyRegister}), tx.Uint(governancevocab.ArgValidFor, 10))
	if err != nil {
		t.Fatal(err)
	}
	if err := vote(c, "city/admin", "approve", id); err != nil {
		t.Fatal(err)
	}
	c.Now = c.Now.Add(time.Minute)
	if v := status(t, c, id); v.State != governancevocab.StatusExpired {
		t.Fatalf("state %q, want expired", v.State)
	}
	err = vote(c, "acme/admin", "approve", id)
	if !errors.Is(err, contracts.ErrConflict) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("approving an expired proposal: %v", err)
	}
	if err := register(c, "stmarys/dr", "rec-1"); err != nil {
		t.Fatalf("an expired proposal changed the policy: %v", err)
	}
}

func TestRejectWithdrawAndAuthorisation(t *testing.T) {
	c := newChain(t)
	add := tx.Strings(governancevocab.ArgAddRules, []string{"donor,*,report,read,any,allow"})
	// Only admins propose; the denial names subject, action and object.
	_, err := propose(c, "stmarys/dr", governancevocab.KindChangePolicy, add)
	if !errors.Is(err, contracts.ErrDenied) || !strings.Contains(err.Error(), `stmarys/dr (roles member,physician in organisation stmarys) "propose" on proposal`) ||
		!strings.Contains(err.Error(), "allowed for: consortium_admin, org_admin") {
		t.Fatalf("physician proposes: %v", err)
	}
	// A consortium admin proposes but does not vote.
	id, err := propose(c, "city/cadmin", governancevocab.KindChangePolicy, add)
	if err != nil {
		t.Fatal(err)
	}
	if v := status(t, c, id); len(v.Tally.Approved) != 0 {
		t.Fatalf("a consortium admin's proposal carries an approval: %+v", v.Tally)
	}
	if err := vote(c, "stmarys/dr", "approve", id); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("physician approves: %v", err)
	}
	if err := vote(c, "stmarys/admin", "reject", id); err != nil {
		t.Fatal(err)
	}
	if err := vote(c, "stmarys/admin", "approve", id); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("an organisation votes both ways: %v", err)
	}
	if err := vote(c, "acme/admin", "reject", id); err != nil {
		t.Fatal(err)
	}
	if v := status(t, c, id); v.State != governancevocab.StatusRejected || !slices.Equal(v.Tally.Rejected,
		[]string{"stmarys", "acme"}) {
		t.Fatalf("2 of 4 rejected with 3 needed: %+v %+v", v.Proposal, v.Tally)
	}

	id, err = propose(c, "stmarys/admin", governancevocab.KindChangePolicy, add)
	if err != nil {
		t.Fatal(err)
	}
	if err := vote(c, "acme/admin", "withdraw", id); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("withdrawing another's proposal: %v", err)
	}
	if err := vote(c, "stmarys/admin", "withdraw", id); err != nil {
		t.Fatal(err)
	}
	if v := status(t, c, id); v.State != governancevocab.StatusWithdrawn {
		t.Fatalf("state %q", v.State)
	}
	for _, bad := range [][]tx.Arg{
		{tx.Strings(governancevocab.ArgAddRules, []string{"nurse,*,record,read,any,allow"})},
		{tx.Strings(governancevocab.ArgRemoveRules, []string{"donor,*,report,read,any,allow"})}, // not in the policy
		{tx.Strings(governancevocab.ArgAddRules, []string{"donor,*,gift,give,any,allow"})},      // already in it
		{},
	} {
		if _, err := propose(c, "stmarys/admin", governancevocab.KindChangePolicy, bad...); err == nil {
			t.Errorf("bad policy change %v accepted", bad)
		}
	}
	if _, err := propose(c, "stmarys/admin", "make_coffee"); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("unknown kind: %v", err)
	}
}

func approveAll(t *testing.T, c *chaintest.Chain, id string, orgs ...string) {
	t.Helper()
	for _, o := range orgs {
		if err := vote(c, o+"/admin", "approve", id); err != nil {
			t.Fatalf("%s approves: %v", o, err)
		}
	}
}

func TestThresholdOnboardingAndRemoval(t *testing.T) {
	c := newChain(t)
	id, err := propose(c, "stmarys/admin", governancevocab.KindSetThreshold, tx.Uint(governancevocab.ArgPercent, 99))
	if err != nil {
		t.Fatal(err)
	}
	approveAll(t, c, id, "city", "acme")
	if v := status(t, c, id); v.State != governancevocab.StatusExecuted {
		t.Fatalf("threshold change: %+v", v.Proposal)
	}

	// Onboarding: organisation, its admin and its node in one proposal,
	// now needing all four organisations.
	newAdmin := chaintest.Key("zenith/admin")
	nodeKey := chaintest.Key("node zenith-n")
	onboard := append(tx.Args{tx.String(governancevocab.ArgOrgID, "zenith"),
		tx.String(governancevocab.ArgOrgKind, identityvocab.KindInsurer),
		tx.String(governancevocab.ArgOrgName, "Zenith Mutual"),
		tx.Strings(governancevocab.ArgAdmins,
			[]string{"zenith/admin " + newAdmin.Public().String() + " " + chaintest.EncKey("zenith/admin").String()})},
		consortium.NodeToArgs(&consortium.Node{ID: "zenith-n", Org: "zenith", RaftID: 9, SignKey: nodeKey.Public(),
			EncKey: chaintest.EncKey("zenith-n"), RaftAddr: "127.0.0.1:9", APIAddr: "127.0.0.1:10"},
			governancevocab.ArgNodePrefix)...)
	id, err = propose(c, "stmarys/admin", governancevocab.KindAddOrg, onboard...)
	if err != nil {
		t.Fatal(err)
	}
	dup, err := propose(c, "acme/admin", governancevocab.KindAddOrg, onboard...)
	if err != nil {
		t.Fatal(err)
	}
	approveAll(t, c, id, "city", "acme")
	if v := status(t, c, id); v.State != governancevocab.StatusOpen || v.Tally.Needed != 4 {
		t.Fatalf("3 of 4 at 99%%: %+v %+v", v.Proposal, v.Tally)
	}
	approveAll(t, c, id, "hope")
	if v := status(t, c, id); v.State != governancevocab.StatusExecuted {
		t.Fatalf("onboarding: %+v", v.Proposal)
	}
	c.AddKey("zenith/admin", newAdmin)
	if _, err := identity.LoadMember(c.Reader(), "zenith/admin"); err != nil {
		t.Fatal(err)
	}
	nodes, err := consortium.LoadNodes(c.Reader())
	if err != nil || !slices.ContainsFunc(nodes, func(n consortium.Node) bool { return n.ID == "zenith-n" }) {
		t.Fatalf("node not added: %v %v", nodes, err)
	}
	// The new admin acts at once: adds a member to their organisation.
	adj := chaintest.Key("zenith/adj")
	c.Must("zenith/admin", identity.Name, identityvocab.MethodAddMember, tx.String(identityvocab.ArgID, "zenith/adj"),
		tx.Strings(identityvocab.ArgRoles, []string{identityvocab.RoleClaimsAdjuster}),
		tx.String(identityvocab.ArgSignKey, adj.Public().String()),
		tx.String(identityvocab.ArgEncKey, chaintest.EncKey("zenith/adj").String()))
	c.AddKey("zenith/adj", adj)

	// The duplicate proposal fails at execution, saying why, and leaves
	// state alone.
	approveAll(t, c, dup, "stmarys", "city", "hope", "zenith")
	if v := status(t, c, dup); v.State != governancevocab.StatusFailed || !strings.Contains(v.Result, `organisation "zenith"`) {
		t.Fatalf("duplicate onboarding: %+v", v.Proposal)
	}

	// Removal: the organisation's members can no longer act; its node
	// leaves.
	id, err = propose(c, "stmarys/admin", governancevocab.KindRemoveOrg, tx.String(governancevocab.ArgOrgID, "zenith"))
	if err != nil {
		t.Fatal(err)
	}
	approveAll(t, c, id, "city", "acme", "hope", "zenith")
	if v := status(t, c, id); v.State != governancevocab.StatusExecuted {
		t.Fatalf("removal: %+v", v.Proposal)
	}
	err = c.Call("zenith/adj", identity.Name, identityvocab.MethodRotateKeys,
		tx.String(identityvocab.ArgID, "zenith/adj"),
		tx.String(identityvocab.ArgEncKey, chaintest.EncKey("x").String())).Err
	if !errors.Is(err, contracts.ErrUnauthenticated) || !strings.Contains(err.Error(), "removed") {
		t.Fatalf("member of a removed organisation: %v", err)
	}
	nodes, _ = consortium.LoadNodes(c.Reader())
	if slices.ContainsFunc(nodes, func(n consortium.Node) bool { return n.ID == "zenith-n" }) {
		t.Fatal("the removed organisation's node is still a member")
	}
	if _, err := propose(c, "stmarys/admin", governancevocab.KindAddOrg, onboard...); !errors.Is(err,
		contracts.ErrConflict) {
		t.Fatalf("reusing a removed organisation's id: %v", err)
	}
}

func TestNodeProposals(t *testing.T) {
	c := newChain(t)
	k := chaintest.Key("node extra")
	add := consortium.NodeToArgs(&consortium.Node{ID: "hope-n", Org: "hope", RaftID: 4, SignKey: k.Public(),
		EncKey: chaintest.EncKey("hope-n"), RaftAddr: "127.0.0.1:7", APIAddr: "127.0.0.1:8"}, "")
	id, err := propose(c, "hope/admin", governancevocab.KindAddNode, add...)
	if err != nil {
		t.Fatal(err)
	}
	res := c.Block(c.Sign("city/admin", governance.Name, governancevocab.MethodApprove,
		tx.String(governancevocab.ArgProposal, id)),
		c.Sign("acme/admin", governance.Name, governancevocab.MethodApprove, tx.String(governancevocab.ArgProposal, id)))
	if res[0].Err != nil || res[1].Err != nil {
		t.Fatal(res[0].Err, res[1].Err)
	}
	added := false
	for _, e := range res[1].Events {
		added = added || (e.Contract == consortium.Name && e.Type == "node_added")
	}
	if !added {
		t.Fatalf("the deciding approval did not emit consortium.node_added: %+v", res[1].Events)
	}
	id, err = propose(c, "hope/admin", governancevocab.KindRemoveNode, tx.String(consortiumvocab.ArgNodeID, "stmarys-n"))
	if err != nil {
		t.Fatal(err)
	}
	approveAll(t, c, id, "city", "acme")
	nodes, _ := consortium.LoadNodes(c.Reader())
	if len(nodes) != 3 || slices.ContainsFunc(nodes, func(n consortium.Node) bool { return n.ID == "stmarys-n" }) {
		t.Fatalf("nodes after: %+v", nodes)
	}
	if _, err := propose(c, "hope/admin", governancevocab.KindAddNode, add...); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("re-adding a node: %v", err)
	}
}

// TestOnboardAHospitalWithItsClaimsKey: a hospital that joins after
// genesis brings its claims fingerprint key id in the add_org proposal,
// and files claims once it executes; a key id is only for a hospital,
// and of the right shape.
func TestOnboardAHospitalWithItsClaimsKey(t *testing.T) {
	c := newChain(t)
	admin := chaintest.Key("north/admin")
	onboard := func(kind, keyID string) []tx.Arg {
		return []tx.Arg{tx.String(governancevocab.ArgOrgID, "north"), tx.String(governancevocab.ArgOrgKind, kind),
			tx.String(governancevocab.ArgOrgName, "North Clinic"),
			tx.Strings(governancevocab.ArgAdmins,
				[]string{"north/admin " + admin.Public().String() + " " + chaintest.EncKey("north/admin").String()}),
			tx.String(governancevocab.ArgClaimsKeyID, keyID)}
	}
	key := chaintest.ClaimsKey("north")
	if _, err := propose(c, "stmarys/admin", governancevocab.KindAddOrg,
		onboard(identityvocab.KindInsurer, key.ID())...); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("a claims key for an insurer: %v", err)
	}
	if _, err := propose(c, "stmarys/admin", governancevocab.KindAddOrg,
		onboard(identityvocab.KindHospital, "not-a-key-id")...); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("a malformed claims key id: %v", err)
	}
	id, err := propose(c, "stmarys/admin", governancevocab.KindAddOrg, onboard(identityvocab.KindHospital, key.ID())...)
	if err != nil {
		t.Fatal(err)
	}
	approveAll(t, c, id, "city", "acme")
	if v := status(t, c, id); v.State != governancevocab.StatusExecuted {
		t.Fatalf("onboarding: %+v", v.Proposal)
	}
	if v, ok := c.Reader().Get(claim.KeyStateKey("north")); !ok || string(v) != key.ID() {
		t.Fatalf("north's claims key id: %q %v", v, ok)
	}
	// North's admin adds a clerk and a patient; the clerk files a claim.
	c.AddKey("north/admin", admin)
	for _, m := range []struct{ id, role string }{{"north/clerk", identityvocab.RoleRecordsClerk},
		{"north/pat", identityvocab.RolePatient}} {
		c.AddKey(m.id, chaintest.Key(m.id))
		c.Must("north/admin", identity.Name, identityvocab.MethodAddMember, tx.String(identityvocab.ArgID, m.id),
			tx.Strings(identityvocab.ArgRoles, []string{m.role}),
			tx.String(identityvocab.ArgSignKey, chaintest.Key(m.id).Public().String()),
			tx.String(identityvocab.ArgEncKey, chaintest.EncKey(m.id).String()))
	}
	c.Must("north/clerk", claim.Name, claimvocab.MethodSubmit,
		c.FileClaim("north/clerk", c.ClaimDoc("n-1", "north", "north/pat", "acme", "EUR", "99213:2026-10-30:100"))...)
}
