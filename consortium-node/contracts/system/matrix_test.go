package system_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/tx"
)

// The matrix consortium: two hospitals, an insurer, a charity and a
// regulator, with one member per role each organisation's kind allows,
// named "<org>/<role>".
var matrixOrgs = []identity.Org{
	{ID: "stmarys", Kind: identity.KindHospital, Name: "St Mary's"}, {ID: "city", Kind: identity.KindHospital, Name: "City"},
	{ID: "acme", Kind: identity.KindInsurer, Name: "Acme"}, {ID: "hope", Kind: identity.KindCharity, Name: "Hope"},
	{ID: "reg", Kind: identity.KindRegulator, Name: "Regulator"},
}

func actors() []string {
	var out []string
	for _, o := range matrixOrgs {
		for _, r := range identity.RolesFor(o.Kind) {
			out = append(out, o.ID+"/"+r)
		}
	}
	return out
}

func matrixChain(t *testing.T) *chaintest.Chain {
	var ms []chaintest.Member
	for _, a := range actors() {
		ms = append(ms, chaintest.Member{ID: a, Roles: []string{strings.SplitN(a, "/", 2)[1]}})
	}
	ms = append(ms, chaintest.Member{ID: "stmarys/other-patient", Roles: []string{identity.RolePatient}})
	node := consortium.Node{ID: "n1", Org: "stmarys", RaftID: 1, SignKey: chaintest.Key("node n1").Public(), EncKey: chaintest.EncKey("n1"),
		RaftAddr: "127.0.0.1:1", APIAddr: "127.0.0.1:2"}
	node2 := node
	node2.ID, node2.RaftID, node2.SignKey = "n2", 2, chaintest.Key("node n2").Public()
	return chaintest.New(t, chaintest.Options{Orgs: matrixOrgs, Members: ms, Nodes: []consortium.Node{node, node2}})
}

// outcome runs a case's action as who and says what happened: "allowed",
// "denied" (a policy denial: failed receipt, or a refused record read),
// or a failure of another kind.
type action func(c *chaintest.Chain, who string) (string, error)

func byErr(err error) (string, error) {
	var d *contracts.DeniedError
	switch {
	case err == nil:
		return "allowed", nil
	case errors.As(err, &d):
		return "denied", nil
	default:
		return "", err
	}
}

func call(c *chaintest.Chain, who, contract, method string, args ...tx.Arg) (string, error) {
	return byErr(c.Call(who, contract, method, args...).Err)
}

func newMemberArgs(id, role string) []tx.Arg {
	return []tx.Arg{tx.String("id", id), tx.Strings("roles", []string{role}),
		tx.String("sign_key", chaintest.Key(id).Public().String()), tx.String("enc_key", chaintest.EncKey(id).String())}
}

func registerArgs(id string) []tx.Arg {
	return []tx.Arg{tx.String("record_id", id), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", chaintest.Seed(id)),
		tx.String("patient", "stmarys/patient"), tx.String("category", "lab")}
}

// access runs a record.access and reports whether it was granted
// (refusals commit as access_refused events).
func access(c *chaintest.Chain, who string, args ...tx.Arg) (string, error) {
	r := c.Call(who, record.Name, "access", args...)
	if r.Err != nil {
		return byErr(r.Err)
	}
	a, err := record.LoadAccess(c.Reader(), r.ID)
	if err != nil {
		return "", err
	}
	if a.Granted {
		return "allowed", nil
	}
	if !strings.Contains(a.Refusal, "policy denies "+who) {
		return "", fmt.Errorf("refused for another reason: %s", a.Refusal)
	}
	return "denied", nil
}

func setupRecord(t *testing.T, c *chaintest.Chain) {
	c.Must("stmarys/records_clerk", record.Name, "register", registerArgs("rec-1")...)
}

// TestEveryRoleAgainstEveryAction runs every member of every role of every
// organisation against every contract action through real transactions on
// the default policy, and checks the outcome against the table below:
// allowed exactly for the listed members, a policy denial for everyone
// else (cross-organisation attempts included).
func TestEveryRoleAgainstEveryAction(t *testing.T) {
	all := actors()
	admins := []string{"stmarys/org_admin", "city/org_admin", "acme/org_admin", "hope/org_admin", "reg/org_admin"}
	cases := []struct {
		name    string
		setup   func(t *testing.T, c *chaintest.Chain)
		act     action
		allowed []string
	}{
		{"identity.add_member to stmarys", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, identity.Name, "add_member", newMemberArgs("stmarys/new", identity.RolePhysician)...)
		}, []string{"stmarys/org_admin"}},
		{"identity.set_roles of a stmarys member", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, identity.Name, "set_roles", tx.String("id", "stmarys/physician"), tx.Strings("roles", []string{identity.RoleRecordsClerk}))
		}, []string{"stmarys/org_admin"}},
		{"identity.revoke_member of a stmarys member", nil, func(c *chaintest.Chain, who string) (string, error) {
			if who == "stmarys/patient" {
				return call(c, who, identity.Name, "revoke_member", tx.String("id", "stmarys/other-patient"))
			}
			return call(c, who, identity.Name, "revoke_member", tx.String("id", "stmarys/patient"))
		}, []string{"stmarys/org_admin"}},
		{"identity.rotate_keys of another stmarys member", nil, func(c *chaintest.Chain, who string) (string, error) {
			target := "stmarys/patient"
			if who == target {
				target = "stmarys/other-patient"
			}
			return call(c, who, identity.Name, "rotate_keys", tx.String("id", target), tx.String("enc_key", chaintest.EncKey("x").String()))
		}, []string{"stmarys/org_admin"}},
		{"identity.rotate_keys of one's own", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, identity.Name, "rotate_keys", tx.String("id", who), tx.String("enc_key", chaintest.EncKey("x").String()))
		}, all},
		{"governance.propose", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, governance.Name, "propose", tx.String("kind", governance.KindSetThreshold), tx.Uint("percent", 60))
		}, append(slices.Clone(admins), "stmarys/consortium_admin", "city/consortium_admin", "acme/consortium_admin", "hope/consortium_admin", "reg/consortium_admin")},
		{"governance.approve", func(t *testing.T, c *chaintest.Chain) {
			c.Must("reg/consortium_admin", governance.Name, "propose", tx.String("kind", governance.KindSetThreshold), tx.Uint("percent", 60))
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, governance.Name, "approve", tx.String("proposal", lastProposal(c)))
		}, admins},
		{"governance.withdraw of stmarys's admin's proposal", func(t *testing.T, c *chaintest.Chain) {
			c.Must("stmarys/org_admin", governance.Name, "propose", tx.String("kind", governance.KindSetThreshold), tx.Uint("percent", 60))
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, governance.Name, "withdraw", tx.String("proposal", lastProposal(c)))
		}, []string{"stmarys/org_admin"}},
		{"consortium.remove_node with approvals", nil, func(c *chaintest.Chain, who string) (string, error) {
			ch := &consortium.Change{Action: consortium.ActionRemoveNode, Node: consortium.Node{ID: "n2"}, ValidUntil: c.Height + 10}
			var approvals []string
			for _, a := range admins[:3] {
				s, err := consortium.Approve(chaintest.ChainID, ch, a, chaintest.Key(a))
				if err != nil {
					return "", err
				}
				approvals = append(approvals, s)
			}
			return call(c, who, consortium.Name, consortium.ActionRemoveNode, tx.String("node_id", "n2"), tx.Uint("valid_until", ch.ValidUntil),
				tx.Strings("approvals", approvals))
		}, admins},
		{"record.register a new record", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, "register", registerArgs("new-rec")...)
		}, []string{"stmarys/physician", "stmarys/records_clerk", "city/physician", "city/records_clerk"}},
		{"record.register a version of stmarys's record", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 2), tx.Bytes("ciphertext_hash", chaintest.Seed("v2")))
		}, []string{"stmarys/physician", "stmarys/records_clerk"}},
		{"record.access under a consent granted to the reader", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			if r := c.Call("stmarys/patient", consent.Name, "grant", tx.String("consent_id", "c-1"), tx.String("grantee", who),
				tx.String("purpose", "treatment"), tx.Strings("records", []string{"rec-1"}),
				tx.Int("start", c.Now.Unix()-10), tx.Int("end", c.Now.Unix()+86400)); r.Err != nil {
				return "", r.Err
			}
			return access(c, who, tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"), tx.String("consent_id", "c-1"))
		}, []string{"stmarys/physician", "city/physician", "acme/claims_adjuster", "stmarys/patient"}}, // the patient reads their own record anyway
		{"record.access by break-glass", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			return access(c, who, tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"), tx.String("break_glass", "unconscious-patient"))
		}, []string{"stmarys/physician", "city/physician"}},
		{"record.access of one's own record (no consent)", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			return access(c, who, tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"))
		}, []string{"stmarys/patient"}},
		{"record.erase of stmarys's record", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, "erase", tx.String("record_id", "rec-1"))
		}, []string{"stmarys/patient", "stmarys/records_clerk", "stmarys/privacy_officer"}},
		{"record.review_break_glass of a break-glass access to stmarys's record", func(t *testing.T, c *chaintest.Chain) {
			setupRecord(t, c)
			c.Must("city/physician", record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"),
				tx.String("break_glass", "life-threatening"))
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, "review_break_glass", tx.String("access", c.LastTx().String()), tx.String("outcome", "justified"))
		}, []string{"stmarys/privacy_officer"}},
		{"claim.submit for stmarys's patient", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, "submit", c.FileClaim(who,
				c.ClaimDoc("cl", identity.OrgOf(who), "stmarys/patient", "acme", "EUR", "99213:2026-10-30:1000"))...)
		}, []string{"stmarys/physician", "stmarys/records_clerk", "city/physician", "city/records_clerk"}}, // a hospital files its own claims
		{"claim.adjudicate of a claim at acme", func(t *testing.T, c *chaintest.Chain) {
			c.Must("stmarys/records_clerk", claim.Name, "submit", c.FileClaim("stmarys/records_clerk",
				c.ClaimDoc("cl", "stmarys", "stmarys/patient", "acme", "EUR", "99213:2026-10-30:1000"))...)
			c.Must("acme/claims_adjuster", claim.Name, "review", tx.String("claim_id", "cl"))
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, "adjudicate", tx.String("claim_id", "cl"), tx.Strings("adjudication", []string{"1:1000"}))
		}, []string{"acme/claims_adjuster"}},
		{"consent.grant on one's own records", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, "grant", tx.String("consent_id", "c-x"), tx.String("grantee", "acme"), tx.String("purpose", "claims"),
				tx.Strings("categories", []string{"lab"}), tx.Int("start", c.Now.Unix()), tx.Int("end", c.Now.Unix()+86400))
		}, []string{"stmarys/patient", "city/patient"}},
		{"consent.request of stmarys/patient", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, "request", tx.String("consent_id", "rq"), tx.String("patient", "stmarys/patient"),
				tx.String("purpose", "treatment"), tx.Strings("categories", []string{"lab"}), tx.Int("start", c.Now.Unix()), tx.Int("end", c.Now.Unix()+86400))
		}, []string{"stmarys/physician", "stmarys/records_clerk", "city/physician", "city/records_clerk"}},
		{"consent.revoke of stmarys/patient's consent", func(t *testing.T, c *chaintest.Chain) {
			c.Must("stmarys/patient", consent.Name, "grant", tx.String("consent_id", "c-2"), tx.String("grantee", "acme"), tx.String("purpose", "claims"),
				tx.Strings("categories", []string{"lab"}), tx.Int("start", c.Now.Unix()), tx.Int("end", c.Now.Unix()+86400))
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, "revoke", tx.String("consent_id", "c-2"))
		}, []string{"stmarys/patient"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, who := range all {
				c := matrixChain(t)
				if tc.setup != nil {
					tc.setup(t, c)
				}
				got, err := tc.act(c, who)
				if err != nil {
					t.Errorf("%s: failed other than by policy: %v", who, err)
					continue
				}
				want := "denied"
				if slices.Contains(tc.allowed, who) {
					want = "allowed"
				}
				if got != want {
					t.Errorf("%s: %s, want %s", who, got, want)
				}
			}
		})
	}
}

// lastProposal returns the id of the proposal made in the last block
// (the proposing transaction's id).
func lastProposal(c *chaintest.Chain) string { return c.LastTx().String() }
