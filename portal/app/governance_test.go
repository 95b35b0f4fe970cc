package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/portal/internal/testnode"
)

const (
	proposalFields = `id kind proposer status failureReason needed thresholdPercent organisations approvedBy rejectedBy missing
		approvals { organisation member height time txId } rejections { organisation member height }
		change { summary organisation organisationKind organisationName admins node raftId raftAddr apiAddr addRules removeRules thresholdPercent }
		proposedHeight proposedAt expiresAt closedHeight closedAt updatedHeight`
	proposalDoc  = `query($id: ID!) { proposal(id: $id) { ` + proposalFields + ` } }`
	proposalsDoc = `query($s: ProposalStatus, $f: Int, $a: String) { proposals(status: $s, first: $f, after: $a) { nodes { id status kind } pageInfo { hasNextPage endCursor } } }`
	policyDoc    = `{ policy { rules { sub dom obj act cond eft line } csv thresholdPercent organisations needed height } }`
	policyChDoc  = `mutation($add: [String!], $rm: [String!], $v: Int) { proposePolicyChange(addRules: $add, removeRules: $rm, validForSeconds: $v, wait: true) { ` + txFields + ` } }`
	thresholdDoc = `mutation($p: Int!) { proposeThreshold(percent: $p, wait: true) { ` + txFields + ` } }`
	addOrgDoc    = `mutation($id: ID!, $admins: [OrganisationAdminInput!]!, $node: NodeInput) { proposeAddOrganisation(id: $id, kind: INSURER, name: "NewCo Insurance",
		admins: $admins, node: $node, wait: true) { ` + txFields + ` } }`
	addNodeDoc  = `mutation($node: NodeInput!) { proposeAddNode(node: $node, wait: true) { ` + txFields + ` } }`
	approveDoc2 = `mutation($p: ID!) { approveProposal(proposal: $p, wait: true) { ` + txFields + ` } }`
	rejectDoc   = `mutation($p: ID!) { rejectProposal(proposal: $p, wait: true) { ` + txFields + ` } }`
	withdrawDoc = `mutation($p: ID!) { withdrawProposal(proposal: $p, wait: true) { ` + txFields + ` } }`
	reportRule  = "donor,*,report,read,any,allow"
)

// proposal reads a proposal as c and requires it.
func proposal(t *testing.T, c *client, id string) map[string]any {
	t.Helper()
	r := c.do(proposalDoc, map[string]any{"id": id})
	p, _ := dig(r.Data, "proposal").(map[string]any)
	if len(r.Errors) != 0 || p == nil {
		t.Fatalf("proposal %s: %s", id, r.raw)
	}
	return p
}

// ids renders a JSON list of strings.
func ids(v any) string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return strings.Join(out, " ")
}

func statuses(t *testing.T, c *client, status any) []string {
	t.Helper()
	r := c.do(proposalsDoc, map[string]any{"s": status, "f": 50})
	var out []string
	for _, n := range nodes(t, r, "proposals") {
		out = append(out, dig(n, "id").(string)+"="+dig(n, "status").(string))
	}
	return out
}

// TestGovernance walks governance through the portal over a real node
// (four organisations, majority threshold: 3 approvals): St Mary's admin
// proposes a policy change (open, its own approval counted, 3 needed,
// three organisations missing), Acme approves (two missing) and cannot
// vote twice (a FAILED receipt with the ledger's reason), Hope's approval
// executes it and the rule is in the policy (rules, csv that parses back,
// threshold); a threshold change is rejected by two organisations and a
// proposal is withdrawn by its proposer (not by another admin: FORBIDDEN
// before signing); a proposal with validForSeconds expires; an
// organisation is onboarded with its admin (the consortium then has five
// and needs 3), and a node proposal shows its typed change. Refusals: a
// physician may neither propose (FORBIDDEN, nothing signed) nor read
// proposals or the policy; an auditor reads but may not approve;
// malformed input is BAD_USER_INPUT; anonymous is UNAUTHENTICATED. The
// lists are newest first and page; proposalUpdates pushes each vote.
func TestGovernance(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalAt(t, n, t.TempDir())
	sm, acme, hope, hr := as(t, p, "stmarys/admin"), as(t, p, "acme/admin"), as(t, p, "hope/admin"), as(t, p, "healthreg/admin")
	dr, auditor := as(t, p, "stmarys/dr-lee"), as(t, p, "healthreg/auditor")

	// A donor may not read a charity's reports under the default policy.
	const reportDoc = `{ charityReport(charity: "hope", from: "2000-01-01", to: "2100-01-01") { charityId } }`
	donor := as(t, p, "hope/donor-sam")
	if r := donor.do(reportDoc, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("a donor reading Hope's report under the default policy: %s", r.raw)
	}

	// The consortium's nodes with their organisations' names, for admins and
	// auditors (what a node's removal is proposed from); not for a physician.
	nr := auditor.do(`{ consortiumNodes { id organisation organisationName raftId removed since } }`, nil)
	if nodes, _ := dig(nr.Data, "consortiumNodes").([]any); len(nr.Errors) != 0 || len(nodes) == 0 ||
		dig(nodes[0], "organisationName") == nil || dig(nodes[0], "removed") != false || dig(nodes[0], "raftId") == "" {
		t.Fatalf("consortiumNodes: %s", nr.raw)
	}
	if r := dr.do(`{ consortiumNodes { id } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("a physician listing the nodes: %s", r.raw)
	}

	// A policy change, open with St Mary's approval.
	pol := sm.ok("proposePolicyChange", policyChDoc, map[string]any{"add": []string{"donor * report read any allow"}})
	pr := proposal(t, auditor, pol)
	if pr["status"] != "OPEN" || pr["kind"] != "CHANGE_POLICY" || pr["proposer"] != "stmarys/admin" || pr["needed"] != 3.0 ||
		ids(pr["approvedBy"]) != "stmarys" || ids(pr["missing"]) != "acme healthreg hope" || ids(pr["rejectedBy"]) != "" ||
		ids(dig(pr, "change", "addRules")) != reportRule || dig(pr, "change", "summary") != "change policy: add "+reportRule ||
		pr["closedHeight"] != nil || pr["thresholdPercent"] != 50.0 || ids(pr["organisations"]) != "acme healthreg hope stmarys" {
		t.Fatalf("new proposal: %v", pr)
	}
	if v := pr["approvals"].([]any); len(v) != 1 || dig(v[0], "member") != "stmarys/admin" || dig(v[0], "txId") != pol {
		t.Fatalf("approvals: %v", v)
	}
	// proposalUpdates pushes the snapshot, then each vote.
	ws := wsAs(t, hope)
	wsSubscribe(t, ws, "pu", `subscription($id: ID!) { proposalUpdates(proposalId: $id) { status approvedBy missing } }`,
		map[string]any{"id": pol})
	if m := wsRead(t, ws); m["type"] != "next" || dig(m, "payload", "data", "proposalUpdates", "status") != "OPEN" {
		t.Fatalf("proposalUpdates snapshot: %v", m)
	}

	acme.ok("approveProposal", approveDoc2, map[string]any{"p": pol})
	if m := wsRead(t, ws); ids(dig(m, "payload", "data", "proposalUpdates", "missing")) != "healthreg hope" {
		t.Fatalf("proposalUpdates after Acme's approval: %v", m)
	}
	if pr := proposal(t, sm, pol); pr["status"] != "OPEN" || ids(pr["approvedBy"]) != "stmarys acme" || ids(pr["missing"]) != "healthreg hope" {
		t.Fatalf("after Acme's approval: %v", pr)
	}
	acme.failed("approveProposal", approveDoc2, map[string]any{"p": pol}, `organisation "acme" already voted`)
	if got := statuses(t, hr, "OPEN"); !slices.Equal(got, []string{pol + "=OPEN"}) {
		t.Fatalf("open proposals: %v", got)
	}

	// Hope's approval decides: executed, and the rule is in force.
	hope.ok("approveProposal", approveDoc2, map[string]any{"p": pol})
	if m := wsRead(t, ws); dig(m, "payload", "data", "proposalUpdates", "status") != "EXECUTED" {
		t.Fatalf("proposalUpdates after the deciding approval: %v", m)
	}
	wsSend(t, ws, `{"type":"complete","id":"pu"}`)
	pr = proposal(t, hr, pol)
	if pr["status"] != "EXECUTED" || pr["closedHeight"] == nil || pr["closedAt"] == nil || ids(pr["approvedBy"]) != "stmarys acme hope" || pr["needed"] != 3.0 ||
		ids(pr["missing"]) != "healthreg" {
		t.Fatalf("executed proposal: %v", pr)
	}
	r := hr.do(policyDoc, nil)
	var lines []string
	for _, x := range dig(r.Data, "policy", "rules").([]any) {
		lines = append(lines, dig(x, "line").(string))
	}
	csv, _ := dig(r.Data, "policy", "csv").(string)
	parsed, err := policies.ParseCSV(csv)
	if len(r.Errors) != 0 || !slices.Contains(lines, reportRule) || err != nil || len(parsed) != len(lines) ||
		!strings.Contains(csv, "p, donor, *, report, read, any, allow\n") || dig(r.Data, "policy", "needed") != 3.0 ||
		dig(r.Data, "policy", "thresholdPercent") != 50.0 {
		t.Fatalf("policy (%v): %s", err, r.raw)
	}

	// The rule reaches the portal at the height it executed: the donor
	// now reads the charity's report (its removal, at the end, takes the
	// right away again).
	if r := donor.do(reportDoc, nil); len(r.Errors) != 0 || dig(r.Data, "charityReport", "charityId") != "hope" {
		t.Fatalf("a donor reading Hope's report under the approved rule: %s", r.raw)
	}

	// A threshold change, rejected by two of four.
	th := acme.ok("proposeThreshold", thresholdDoc, map[string]any{"p": 66})
	sm.ok("rejectProposal", rejectDoc, map[string]any{"p": th})
	if pr := proposal(t, acme, th); pr["status"] != "OPEN" || ids(pr["rejectedBy"]) != "stmarys" || dig(pr, "change", "thresholdPercent") != 66.0 {
		t.Fatalf("after one rejection: %v", pr)
	}
	hope.ok("rejectProposal", rejectDoc, map[string]any{"p": th})
	pr = proposal(t, acme, th)
	if rs := pr["rejections"].([]any); pr["status"] != "REJECTED" || len(rs) != 2 || dig(rs[1], "member") != "hope/admin" || pr["closedHeight"] != dig(rs[1], "height") {
		t.Fatalf("rejected proposal: %v", pr)
	}
	hr.failed("approveProposal", approveDoc2, map[string]any{"p": th}, "is rejected")

	// Withdrawn by its proposer only.
	wd := hr.ok("proposePolicyChange", policyChDoc, map[string]any{"rm": []string{reportRule}})
	if r := acme.do(withdrawDoc, map[string]any{"p": wd}); r.code() != "FORBIDDEN" {
		t.Fatalf("Acme withdrawing healthreg's proposal: %s", r.raw)
	}
	hr.ok("withdrawProposal", withdrawDoc, map[string]any{"p": wd})
	if pr := proposal(t, hr, wd); pr["status"] != "WITHDRAWN" || ids(dig(pr, "change", "removeRules")) != reportRule {
		t.Fatalf("withdrawn proposal: %v", pr)
	}

	// One that expires: decided by no one before its time.
	ex := hope.ok("proposePolicyChange", policyChDoc, map[string]any{"rm": []string{reportRule}, "v": 1})
	time.Sleep(1100 * time.Millisecond)

	// An organisation onboarded with its admin.
	admin := map[string]any{"member": "newco/admin", "signKey": chaintest.Key("newco/admin").Public().String(), "encKey": chaintest.EncKey("newco/admin").String()}
	org := sm.ok("proposeAddOrganisation", addOrgDoc, map[string]any{"id": "newco", "admins": []any{admin}})
	if pr := proposal(t, hope, ex); pr["status"] != "EXPIRED" || pr["closedHeight"] == nil {
		t.Fatalf("proposal past its validity: %v", pr)
	}
	hope.failed("approveProposal", approveDoc2, map[string]any{"p": ex}, "expired")
	pr = proposal(t, sm, org)
	if pr["kind"] != "ADD_ORG" || dig(pr, "change", "organisation") != "newco" || dig(pr, "change", "organisationKind") != "insurer" ||
		dig(pr, "change", "organisationName") != "NewCo Insurance" || ids(dig(pr, "change", "admins")) != "newco/admin" || dig(pr, "change", "node") != nil {
		t.Fatalf("onboarding proposal: %v", pr)
	}
	acme.ok("approveProposal", approveDoc2, map[string]any{"p": org})
	hr.ok("approveProposal", approveDoc2, map[string]any{"p": org})
	if pr := proposal(t, sm, org); pr["status"] != "EXECUTED" {
		t.Fatalf("onboarding: %v", pr)
	}
	if r := sm.do(`{ organisation(id: "newco") { id kind } }`, nil); dig(r.Data, "organisation", "kind") != "insurer" {
		t.Fatalf("newco: %s", r.raw)
	}
	if r := sm.do(policyDoc, nil); dig(r.Data, "policy", "needed") != 3.0 || len(dig(r.Data, "policy", "organisations").([]any)) != 5 {
		t.Fatalf("policy with five organisations: %s", r.raw)
	}

	// A node proposal (left open), with its typed change.
	node := map[string]any{"id": "acme-n2", "raftId": 9, "signKey": chaintest.Key("node acme-n2").Public().String(),
		"encKey": chaintest.EncKey("acme-n2").String(), "raftAddr": "127.0.0.1:7101", "apiAddr": "127.0.0.1:7102"}
	nd := acme.ok("proposeAddNode", addNodeDoc, map[string]any{"node": node})
	pr = proposal(t, acme, nd)
	if pr["status"] != "OPEN" || dig(pr, "change", "node") != "acme-n2" || dig(pr, "change", "organisation") != "acme" || dig(pr, "change", "raftId") != "9" ||
		dig(pr, "change", "apiAddr") != "127.0.0.1:7102" || pr["needed"] != 3.0 || ids(pr["missing"]) != "healthreg hope newco stmarys" {
		t.Fatalf("node proposal: %v", pr)
	}

	// Lists: newest first, per status, paged.
	all := statuses(t, auditor, nil)
	want := []string{nd + "=OPEN", org + "=EXECUTED", ex + "=EXPIRED", wd + "=WITHDRAWN", th + "=REJECTED", pol + "=EXECUTED"}
	if !slices.Equal(all, want) {
		t.Fatalf("proposals %v, want %v", all, want)
	}
	if got := statuses(t, auditor, "EXECUTED"); !slices.Equal(got, []string{org + "=EXECUTED", pol + "=EXECUTED"}) {
		t.Fatalf("executed: %v", got)
	}
	r = auditor.do(proposalsDoc, map[string]any{"f": 4})
	if ns := nodes(t, r, "proposals"); len(ns) != 4 || dig(r.Data, "proposals", "pageInfo", "hasNextPage") != true {
		t.Fatalf("page 1: %s", r.raw)
	}
	r = auditor.do(proposalsDoc, map[string]any{"f": 4, "a": dig(r.Data, "proposals", "pageInfo", "endCursor")})
	if ns := nodes(t, r, "proposals"); len(ns) != 2 || dig(ns[1], "id") != pol || dig(r.Data, "proposals", "pageInfo", "hasNextPage") != false {
		t.Fatalf("page 2: %s", r.raw)
	}
	if r := auditor.do(`{ proposal(id: "nope") { id } }`, nil); len(r.Errors) != 0 || dig(r.Data, "proposal") != nil {
		t.Fatalf("unknown proposal: %s", r.raw)
	}

	// Refusals before signing, and bad input.
	height := func() float64 {
		r := auditor.do(`{ policy { height } }`, nil)
		return dig(r.Data, "policy", "height").(float64)
	}
	before := height()
	refusals := []struct {
		who  *client
		doc  string
		vars map[string]any
		code string
	}{
		{dr, policyChDoc, map[string]any{"add": []string{"physician * report read any allow"}}, "FORBIDDEN"},
		{dr, `{ proposals { nodes { id } } }`, nil, "FORBIDDEN"},
		{dr, proposalDoc, map[string]any{"id": pol}, "FORBIDDEN"},
		{dr, policyDoc, nil, "FORBIDDEN"},
		{auditor, approveDoc2, map[string]any{"p": nd}, "FORBIDDEN"},
		{auditor, policyChDoc, map[string]any{"add": []string{reportRule}}, "FORBIDDEN"},
		{sm, policyChDoc, map[string]any{"add": []string{"nonsense"}}, "BAD_USER_INPUT"},
		{sm, policyChDoc, map[string]any{"add": []string{"donor,*,report,fly,any,allow"}}, "BAD_USER_INPUT"},
		{sm, policyChDoc, map[string]any{}, "BAD_USER_INPUT"},
		{sm, policyChDoc, map[string]any{"add": []string{reportRule + ",x"}, "v": 0}, "BAD_USER_INPUT"},
		{sm, thresholdDoc, map[string]any{"p": 100}, "BAD_USER_INPUT"},
		{sm, addNodeDoc, map[string]any{"node": map[string]any{"id": "x y", "raftId": 3, "signKey": "k", "encKey": "e", "raftAddr": "a", "apiAddr": "b"}}, "BAD_USER_INPUT"},
		{newClient(t, p.URL), proposalsDoc, nil, "UNAUTHENTICATED"},
		{newClient(t, p.URL), policyDoc, nil, "UNAUTHENTICATED"},
	}
	for i, c := range refusals {
		if r := c.who.do(c.doc, c.vars); r.code() != c.code {
			t.Errorf("refusal %d: want %s: %s", i, c.code, r.raw)
		}
	}
	if after := height(); after != before {
		t.Fatalf("refused mutations reached the ledger: height %v, then %v", before, after)
	}

	// Governance takes the right away again: the rule removed, the donor
	// is refused from the height the removal executed.
	rm := sm.ok("proposePolicyChange", policyChDoc, map[string]any{"rm": []string{reportRule}})
	for _, c := range []*client{acme, hope, hr} {
		if pr := proposal(t, hr, rm); pr["status"] == "EXECUTED" {
			break
		}
		c.ok("approveProposal", approveDoc2, map[string]any{"p": rm})
	}
	if pr := proposal(t, hr, rm); pr["status"] != "EXECUTED" {
		t.Fatalf("the removal: %v", pr)
	}
	if r := donor.do(reportDoc, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("a donor reading Hope's report after the rule's removal: %s", r.raw)
	}
}
