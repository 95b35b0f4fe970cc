package system_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	consortiumvocab "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	governancevocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/quorum"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
)

// The matrix consortium: two hospitals, two insurers, two charities and a
// regulator (so that every organisation-scoped role is tried on its own
// organisation's resources and on another's), with one member per role
// each organisation's kind allows, named "<org>/<role>".
var matrixOrgs = chaintest.Orgs("stmarys", "city", "acme", "sure", "hope", "aid", "reg")

func actors() []string {
	var out []string
	for _, o := range matrixOrgs {
		for _, r := range identity.RolesFor(o.Kind) {
			out = append(out, o.ID+"/"+r)
		}
	}
	return out
}

// holders returns the matrix members who hold role, one per organisation
// whose kind allows it.
func holders(role string) []string {
	var out []string
	for _, a := range actors() {
		if strings.HasSuffix(a, "/"+role) {
			out = append(out, a)
		}
	}
	return out
}

func matrixChain(t *testing.T) *chaintest.Chain {
	var ms []chaintest.Member
	for _, a := range actors() {
		ms = append(ms, chaintest.Member{ID: a, Roles: []string{strings.SplitN(a, "/", 2)[1]}})
	}
	ms = append(ms, chaintest.Member{ID: "stmarys/other-patient", Roles: []string{identityvocab.RolePatient}})
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
	r := c.Call(who, record.Name, recordvocab.MethodAccess, args...)
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
	c.Must("stmarys/records_clerk", record.Name, recordvocab.MethodRegister, registerArgs("rec-1")...)
}

// TestEveryRoleAgainstEveryAction runs every member of every role of every
// organisation against every contract action through real transactions on
// the default policy, and checks the outcome against the table below:
// allowed exactly for the listed members, a policy denial for everyone
// else (cross-organisation attempts included).
func TestEveryRoleAgainstEveryAction(t *testing.T) {
	all := actors()
	admins := holders(identityvocab.RoleOrgAdmin)
	// quorate are enough organisations' admins to approve a node change.
	quorate := admins[:quorum.Needed(len(matrixOrgs), quorum.DefaultPercent)]
	cases := []struct {
		name    string
		setup   func(t *testing.T, c *chaintest.Chain)
		act     action
		allowed []string
	}{
		{"identity.add_member to stmarys", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, identity.Name, identityvocab.MethodAddMember,
				newMemberArgs("stmarys/new", identityvocab.RolePhysician)...)
		}, []string{"stmarys/org_admin"}},
		{"identity.set_roles of a stmarys member", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, identity.Name, identityvocab.MethodSetRoles,
				tx.String(identityvocab.ArgID, "stmarys/physician"),
				tx.Strings(identityvocab.ArgRoles, []string{identityvocab.RoleRecordsClerk}))
		}, []string{"stmarys/org_admin"}},
		{"identity.revoke_member of a stmarys member", nil, func(c *chaintest.Chain, who string) (string, error) {
			if who == "stmarys/patient" {
				return call(c, who, identity.Name, identityvocab.MethodRevokeMember,
					tx.String(identityvocab.ArgID, "stmarys/other-patient"))
			}
			return call(c, who, identity.Name, identityvocab.MethodRevokeMember,
				tx.String(identityvocab.ArgID, "stmarys/patient"))
		}, []string{"stmarys/org_admin"}},
		{"identity.rotate_keys of another stmarys member", nil, func(c *chaintest.Chain, who string) (string, error) {
			target := "stmarys/patient"
			if who == target {
				target = "stmarys/other-patient"
			}
			return call(c, who, identity.Name, identityvocab.MethodRotateKeys, tx.String(identityvocab.ArgID, target),
				tx.String(identityvocab.ArgEncKey, chaintest.EncKey("x").String()))
		}, []string{"stmarys/org_admin"}},
		{"identity.rotate_keys of one's own", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, identity.Name, identityvocab.MethodRotateKeys, tx.String(identityvocab.ArgID, who),
				tx.String(identityvocab.ArgEncKey, chaintest.EncKey("x").String()))
		}, all},
		{"governance.propose", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, governance.Name, governancevocab.MethodPropose, thresholdArgs()...)
		}, append(slices.Clone(admins), holders(identityvocab.RoleConsortiumAdmin)...)},
		{"governance.approve", proposedBy("reg/consortium_admin"), func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, governance.Name, governancevocab.MethodApprove,
				tx.String(governancevocab.ArgProposal, lastProposal(c)))
		}, admins},
		{"governance.reject of a consortium admin's proposal", proposedBy("reg/consortium_admin"), func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, governance.Name, governancevocab.MethodReject,
				tx.String(governancevocab.ArgProposal, lastProposal(c)))
		}, admins},
		{"governance.withdraw of stmarys's admin's proposal", proposedBy("stmarys/org_admin"), func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, governance.Name, governancevocab.MethodWithdraw,
				tx.String(governancevocab.ArgProposal, lastProposal(c)))
		}, []string{"stmarys/org_admin"}},
		{"consortium.add_node of a city node with approvals", nil, func(c *chaintest.Chain, who string) (string, error) {
			n := consortium.Node{ID: "n3", Org: "city", RaftID: 3, SignKey: chaintest.Key("node n3").Public(), EncKey: chaintest.EncKey("n3"),
				RaftAddr: "127.0.0.1:3", APIAddr: "127.0.0.1:4"}
			ch := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: n, ValidUntil: c.Height + 10}
			approvals, err := approve(ch, quorate)
			if err != nil {
				return "", err
			}
			return call(c, who, consortium.Name, ch.Action, consortium.ChangeArgs(ch, approvals)...)
		}, admins},
		{"consortium.remove_node with approvals", nil, func(c *chaintest.Chain, who string) (string, error) {
			ch := &consortium.Change{Action: consortiumvocab.ActionRemoveNode, Node: consortium.Node{ID: "n2"},
				ValidUntil: c.Height + 10}
			approvals, err := approve(ch, quorate)
			if err != nil {
				return "", err
			}
			return call(c, who, consortium.Name, ch.Action, consortium.ChangeArgs(ch, approvals)...)
		}, admins},
		{"record.register a new record", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, recordvocab.MethodRegister, registerArgs("new-rec")...)
		}, []string{"stmarys/physician", "stmarys/records_clerk", "city/physician", "city/records_clerk"}},
		{"record.register a version of stmarys's record", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, "rec-1"),
				tx.Uint(recordvocab.ArgVersion, 2), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("v2")))
		}, []string{"stmarys/physician", "stmarys/records_clerk"}},
		{"record.access under a consent granted to the reader", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			if r := c.Call("stmarys/patient", consent.Name, consentvocab.MethodGrant,
				tx.String(consentvocab.ArgConsentID, "c-1"),
				tx.String(consentvocab.ArgGrantee, who),
				tx.String(consentvocab.ArgPurpose, "treatment"), tx.Strings(consentvocab.ArgRecords, []string{"rec-1"}),
				tx.Int(consentvocab.ArgStart, c.Now.Unix()-10),
				tx.Int(consentvocab.ArgEnd, c.Now.Unix()+86400)); r.Err != nil {
				return "", r.Err
			}
			return access(c, who, tx.String("record_id", "rec-1"), tx.String(consentvocab.ArgPurpose, "treatment"),
				tx.String(consentvocab.ArgConsentID, "c-1"))
		}, []string{"stmarys/physician", "city/physician", "acme/claims_adjuster", "sure/claims_adjuster", "stmarys/patient"}}, // the patient reads their own record anyway
		{"record.access by break-glass", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			return access(c, who, tx.String("record_id", "rec-1"), tx.String(consentvocab.ArgPurpose, "treatment"),
				tx.String("break_glass", "unconscious-patient"))
		}, []string{"stmarys/physician", "city/physician"}},
		{"record.access of one's own record (no consent)", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			return access(c, who, tx.String("record_id", "rec-1"), tx.String(consentvocab.ArgPurpose, "treatment"))
		}, []string{"stmarys/patient"}},
		{"record.erase of stmarys's record", setupRecord, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, recordvocab.MethodErase, tx.String(recordvocab.ArgRecordID, "rec-1"))
		}, []string{"stmarys/patient", "stmarys/records_clerk", "stmarys/privacy_officer"}},
		{"record.review_break_glass of a break-glass access to stmarys's record", func(t *testing.T, c *chaintest.Chain) {
			setupRecord(t, c)
			c.Must("city/physician", record.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "rec-1"),
				tx.String(recordvocab.ArgPurpose, "treatment"),
				tx.String(recordvocab.ArgBreakGlass, "life-threatening"))
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, recordvocab.MethodReviewBreakGlass,
				tx.String(recordvocab.ArgAccess, c.LastTx().String()), tx.String(recordvocab.ArgOutcome, "justified"))
		}, []string{"stmarys/privacy_officer"}},
		{"record.report_undelivered of the patient's own granted access", func(t *testing.T, c *chaintest.Chain) {
			setupRecord(t, c)
			c.Must("stmarys/patient", record.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "rec-1"),
				tx.String(recordvocab.ArgPurpose, "treatment"))
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, record.Name, "report_undelivered", tx.String(recordvocab.ArgAccess, c.LastTx().String()),
				tx.String(recordvocab.ArgReason, "custodian-unreachable"))
		}, []string{"stmarys/patient"}}, // the access's reader only
		{"claim.submit for stmarys's patient, registering its document", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, claimvocab.MethodSubmit, c.FileClaim(who,
				c.ClaimDoc("cl", identity.OrgOf(who), "stmarys/patient", "acme", "EUR", "99213:2026-10-30:1000"))...)
		}, []string{"stmarys/physician", "stmarys/records_clerk", "city/physician", "city/records_clerk"}}, // a hospital files its own claims
		{"claim.submit of stmarys's claim whose document is registered", func(t *testing.T, c *chaintest.Chain) {
			c.Must("stmarys/records_clerk", record.Name, recordvocab.MethodRegister,
				tx.String(recordvocab.ArgRecordID, "cl.doc"),
				tx.Uint(recordvocab.ArgVersion, 1),
				tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("cl.doc")),
				tx.String(recordvocab.ArgPatient, "stmarys/patient"),
				tx.String(recordvocab.ArgCategory, record.CategoryClaim))
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, claimvocab.MethodSubmit, c.FileClaim(who,
				c.ClaimDoc("cl", "stmarys", "stmarys/patient", "acme", "EUR", "99213:2026-10-30:1000"))...)
		}, []string{"stmarys/physician", "stmarys/records_clerk"}}, // the two-step filing: the provider's staff
		{"claim.review of stmarys's claim at acme", submitClaim, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, claimvocab.MethodReview, tx.String(claimvocab.ArgClaimID, "cl"))
		}, []string{"acme/claims_adjuster"}},
		{"claim.adjudicate of a claim at acme whose document acme read", readClaim, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, claimvocab.MethodAdjudicate, tx.String(claimvocab.ArgClaimID, "cl"),
				tx.Strings(claimvocab.ArgAdjudication, []string{"1:1000"}))
		}, []string{"acme/claims_adjuster"}},
		{"claim.pay of an approved claim at acme", adjudicateClaim("1:1000"), func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, claimvocab.MethodPay, tx.String(claimvocab.ArgClaimID, "cl"),
				tx.String(claimvocab.ArgPaymentRef, "ACH-1"), tx.Uint(claimvocab.ArgAmount, 1000))
		}, []string{"acme/claims_adjuster"}},
		{"claim.appeal of stmarys's partially approved claim", adjudicateClaim("1:500:plan-limit"), func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, claimvocab.MethodAppeal, tx.String(claimvocab.ArgClaimID, "cl"),
				tx.String(claimvocab.ArgReason, "coding-corrected"))
		}, []string{"stmarys/records_clerk"}},
		{"claim.cancel of stmarys's submitted claim", submitClaim, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, claim.Name, claimvocab.MethodCancel, tx.String(claimvocab.ArgClaimID, "cl"))
		}, []string{"stmarys/records_clerk"}},
		{"consent.grant on one's own records", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, consentvocab.MethodGrant, grantArgs(c, "c-x")...)
		}, []string{"stmarys/patient", "city/patient"}},
		{"consent.request of stmarys/patient", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, consentvocab.MethodRequest, requestArgs(c)...)
		}, []string{"stmarys/physician", "stmarys/records_clerk", "city/physician", "city/records_clerk"}},
		{"consent.accept of a consent requested of stmarys/patient", requestConsent, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, consentvocab.MethodAccept, tx.String(consentvocab.ArgConsentID, "rq"))
		}, []string{"stmarys/patient"}},
		{"consent.decline of a consent requested of stmarys/patient", requestConsent, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, consentvocab.MethodDecline, tx.String(consentvocab.ArgConsentID, "rq"))
		}, []string{"stmarys/patient"}},
		{"consent.amend of stmarys/patient's consent", grantConsent, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, consentvocab.MethodAmend, tx.String(consentvocab.ArgConsentID, "c-2"),
				tx.Int(consentvocab.ArgEnd, c.Now.Unix()+2*86400))
		}, []string{"stmarys/patient"}},
		{"consent.revoke of stmarys/patient's consent", grantConsent, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, consent.Name, consentvocab.MethodRevoke, tx.String(consentvocab.ArgConsentID, "c-2"))
		}, []string{"stmarys/patient"}},
		{"donation.create_campaign of one's own charity", nil, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodCreateCampaign, campaignArgs(c)...)
		}, holders(identityvocab.RoleCharityOfficer)},
		{"donation.open of hope's draft campaign", createCampaign, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodOpen,
				tx.String(donationvocab.ArgCampaignID, campaign))
		}, []string{charityOfficer}},
		{"donation.cancel of hope's open campaign", openCampaign, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodCancel,
				tx.String(donationvocab.ArgCampaignID, campaign))
		}, []string{charityOfficer}},
		{"donation.close of hope's campaign whose milestone was rejected", func(t *testing.T, c *chaintest.Chain) {
			submitEvidence(t, c)
			c.Must(validator, donation.Name, donationvocab.MethodRejectMilestone,
				milestoneArgs()...)
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodClose,
				tx.String(donationvocab.ArgCampaignID, campaign))
		}, []string{charityOfficer}},
		{"donation.give to hope's open campaign", openCampaign, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodGive,
				tx.String(donationvocab.ArgCampaignID, campaign),
				tx.Uint(donationvocab.ArgAmount, 100))
		}, holders(identityvocab.RoleDonor)}, // a donor of any organisation
		{"donation.submit_evidence for hope's milestone", openCampaign, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodSubmitEvidence,
				evidenceArgs()...)
		}, []string{charityOfficer}},
		{"donation.approve_milestone with evidence, validated by reg", submitEvidence, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodApproveMilestone,
				milestoneArgs()...)
		}, []string{validator}}, // the named validator only, never another validator nor the charity
		{"donation.reject_milestone with evidence, validated by reg", submitEvidence, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodRejectMilestone,
				milestoneArgs()...)
		}, []string{validator}},
		{"donation.settle_milestone past its deadline", func(t *testing.T, c *chaintest.Chain) {
			openCampaign(t, c)
			c.Must("hope/donor", donation.Name, donationvocab.MethodGive,
				tx.String(donationvocab.ArgCampaignID, campaign),
				tx.Uint(donationvocab.ArgAmount, 100))
			c.Now = c.Now.Add(milestoneDue + 24*time.Hour)
		}, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodSettleMilestone,
				milestoneArgs()...)
		}, all}, // anyone: nothing is left stuck
		{"donation.disburse of hope's approved milestone", approveMilestone, func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodDisburse, disburseArgs("stmarys")...)
		}, []string{charityOfficer}},
		{"donation.confirm_receipt of a disbursement to stmarys", disbursedTo("stmarys"), func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodConfirmReceipt,
				tx.String(donationvocab.ArgDisbursementID, "d1"))
		}, []string{"stmarys/records_clerk"}}, // a records clerk of the payee organisation
		{"donation.confirm_receipt of a disbursement to stmarys/patient", disbursedTo("stmarys/patient"), func(c *chaintest.Chain, who string) (string, error) {
			return call(c, who, donation.Name, donationvocab.MethodConfirmReceipt,
				tx.String(donationvocab.ArgDisbursementID, "d1"))
		}, []string{"stmarys/patient"}}, // the payee only, by the policy's own-data rule
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

// approve returns the signed approvals of ch by each of admins.
func approve(ch *consortium.Change, admins []string) ([]string, error) {
	var out []string
	for _, a := range admins {
		s, err := consortium.Approve(chaintest.ChainID, ch, a, chaintest.Key(a))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// submitClaim has stmarys file claim "cl" of one 1000 EUR item for its
// patient at acme; reviewClaim has acme take it into review; readClaim
// has acme's adjuster also read its document under the patient's consent
// (claim.adjudicate requires it); adjudicateClaim has acme adjudicate its
// item as given.
func submitClaim(t *testing.T, c *chaintest.Chain) {
	c.Must("stmarys/records_clerk", claim.Name, claimvocab.MethodSubmit, c.FileClaim("stmarys/records_clerk",
		c.ClaimDoc("cl", "stmarys", "stmarys/patient", "acme", "EUR", "99213:2026-10-30:1000"))...)
}

func reviewClaim(t *testing.T, c *chaintest.Chain) {
	submitClaim(t, c)
	c.Must("acme/claims_adjuster", claim.Name, claimvocab.MethodReview, tx.String(claimvocab.ArgClaimID, "cl"))
}

func readClaim(t *testing.T, c *chaintest.Chain) {
	reviewClaim(t, c)
	c.ReadClaimDocument("acme/claims_adjuster", "cl")
}

func adjudicateClaim(item string) func(t *testing.T, c *chaintest.Chain) {
	return func(t *testing.T, c *chaintest.Chain) {
		readClaim(t, c)
		c.Must("acme/claims_adjuster", claim.Name, claimvocab.MethodAdjudicate, tx.String(claimvocab.ArgClaimID, "cl"),
			tx.Strings(claimvocab.ArgAdjudication, []string{item}))
	}
}

// grantArgs grant consent id to acme (claims, lab records, a day);
// requestArgs ask stmarys/patient for consent "rq" (treatment, lab
// records, a day).
func grantArgs(c *chaintest.Chain, id string) []tx.Arg {
	return []tx.Arg{tx.String(consentvocab.ArgConsentID, id), tx.String(consentvocab.ArgGrantee, "acme"),
		tx.String(consentvocab.ArgPurpose, "claims"), tx.Strings(consentvocab.ArgCategories, []string{"lab"}),
		tx.Int(consentvocab.ArgStart, c.Now.Unix()), tx.Int(consentvocab.ArgEnd, c.Now.Unix()+86400)}
}

func requestArgs(c *chaintest.Chain) []tx.Arg {
	return []tx.Arg{tx.String(consentvocab.ArgConsentID, "rq"), tx.String(consentvocab.ArgPatient, "stmarys/patient"),
		tx.String(consentvocab.ArgPurpose, "treatment"), tx.Strings(consentvocab.ArgCategories, []string{"lab"}),
		tx.Int(consentvocab.ArgStart, c.Now.Unix()), tx.Int(consentvocab.ArgEnd, c.Now.Unix()+86400)}
}

// grantConsent has stmarys/patient grant consent "c-2" to acme;
// requestConsent has a stmarys physician ask stmarys/patient for consent
// "rq".
func grantConsent(t *testing.T, c *chaintest.Chain) {
	c.Must("stmarys/patient", consent.Name, consentvocab.MethodGrant, grantArgs(c, "c-2")...)
}

func requestConsent(t *testing.T, c *chaintest.Chain) {
	c.Must("stmarys/physician", consent.Name, consentvocab.MethodRequest, requestArgs(c)...)
}

// The donation cases' campaign: hope's, of one 600 EUR milestone that
// reg's milestone validator validates, due milestoneDue after creation.
const (
	campaign       = "camp"
	charityOfficer = "hope/charity_officer"
	validator      = "reg/milestone_validator"
	milestoneDue   = 30 * 24 * time.Hour
)

func campaignArgs(c *chaintest.Chain) []tx.Arg {
	return []tx.Arg{tx.String("campaign_id", campaign), tx.String("title", "Heart surgery"), tx.String("currency", "EUR"),
		tx.Strings("milestones", []string{fmt.Sprintf("600 %s %d Surgery", validator, c.Now.Add(milestoneDue).Unix())})}
}

// disburseArgs are the arguments to disburse 100 of the approved milestone
// to payee as "d1".
func disburseArgs(payee string) []tx.Arg {
	return []tx.Arg{tx.String("campaign_id", campaign), tx.Uint("milestone", 1), tx.String("disbursement_id", "d1"), tx.String("payee", payee),
		tx.Uint("amount", 100), tx.String(consentvocab.ArgPurpose, "surgery"), tx.String("payment_ref", "WIRE-1"),
		tx.Bytes("evidence_hash", chaintest.Seed("invoice"))}
}

// milestoneArgs name the campaign's milestone 1; evidenceArgs submit
// evidence for it.
func milestoneArgs() []tx.Arg {
	return []tx.Arg{tx.String(donationvocab.ArgCampaignID, campaign), tx.Uint(donationvocab.ArgMilestone, 1)}
}

func evidenceArgs() []tx.Arg {
	return append(milestoneArgs(), tx.Bytes(donationvocab.ArgEvidenceHash, chaintest.Seed("report")))
}

// disbursedTo is the setup in which the approved milestone disbursed
// "d1" to payee.
func disbursedTo(payee string) func(t *testing.T, c *chaintest.Chain) {
	return func(t *testing.T, c *chaintest.Chain) {
		approveMilestone(t, c)
		c.Must(charityOfficer, donation.Name, donationvocab.MethodDisburse, disburseArgs(payee)...)
	}
}

// createCampaign, openCampaign, submitEvidence and approveMilestone take
// the campaign step by step to the state a case needs: a draft; open;
// with evidence for its milestone; with its milestone funded (600 from
// hope's donor) and approved.
func createCampaign(t *testing.T, c *chaintest.Chain) {
	c.Must(charityOfficer, donation.Name, donationvocab.MethodCreateCampaign, campaignArgs(c)...)
}

func openCampaign(t *testing.T, c *chaintest.Chain) {
	createCampaign(t, c)
	c.Must(charityOfficer, donation.Name, donationvocab.MethodOpen, tx.String(donationvocab.ArgCampaignID, campaign))
}

func submitEvidence(t *testing.T, c *chaintest.Chain) {
	openCampaign(t, c)
	c.Must(charityOfficer, donation.Name, donationvocab.MethodSubmitEvidence,
		evidenceArgs()...)
}

func approveMilestone(t *testing.T, c *chaintest.Chain) {
	openCampaign(t, c)
	c.Must("hope/donor", donation.Name, donationvocab.MethodGive, tx.String(donationvocab.ArgCampaignID, campaign),
		tx.Uint(donationvocab.ArgAmount, 600))
	c.Must(charityOfficer, donation.Name, donationvocab.MethodSubmitEvidence,
		evidenceArgs()...)
	c.Must(validator, donation.Name, donationvocab.MethodApproveMilestone,
		milestoneArgs()...)
}

// thresholdArgs propose a threshold of 60%; proposedBy is the setup in
// which who proposes it.
func thresholdArgs() []tx.Arg {
	return []tx.Arg{tx.String(governancevocab.ArgKind, governancevocab.KindSetThreshold), tx.Uint(governancevocab.ArgPercent, 60)}
}

func proposedBy(who string) func(t *testing.T, c *chaintest.Chain) {
	return func(t *testing.T, c *chaintest.Chain) {
		c.Must(who, governance.Name, governancevocab.MethodPropose, thresholdArgs()...)
	}
}

// lastProposal returns the id of the proposal made in the last block
// (the proposing transaction's id).
func lastProposal(c *chaintest.Chain) string { return c.LastTx().String() }
