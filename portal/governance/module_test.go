package governance

import (
	"strings"
	"testing"

	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/quorum"
	"github.com/almoner/almoner/consortium-node/tx"
)

// TestNeededAsQuorum: the portal counts the threshold as the node does.
func TestNeededAsQuorum(t *testing.T) {
	for orgs := 0; orgs <= 40; orgs++ {
		for pct := uint64(1); pct <= 99; pct++ {
			if got, want := Needed(orgs, pct), quorum.Needed(orgs, pct); got != want {
				t.Fatalf("Needed(%d, %d) = %d, quorum says %d", orgs, pct, got, want)
			}
		}
	}
	if DefaultPercent != quorum.DefaultPercent {
		t.Fatalf("DefaultPercent %d, quorum's %d", DefaultPercent, quorum.DefaultPercent)
	}
}

// TestChangeOf reads each kind's arguments into its change, and refuses
// arguments the contract would not have committed.
func TestChangeOf(t *testing.T) {
	node := tx.Args{tx.String(govvocab.ArgNodeID, "n2"), tx.String("org", "acme"), tx.Uint("raft_id", 2),
		tx.String("sign_key", "k"), tx.String("enc_key", "e"),
		tx.String("raft_addr", "10.0.0.2:7000"), tx.String("api_addr", "10.0.0.2:7070")}
	addOrg := tx.Args{tx.String(govvocab.ArgOrgID, "newco"), tx.String(govvocab.ArgOrgKind, "charity"),
		tx.String(govvocab.ArgOrgName, "New Co"),
		tx.Strings(govvocab.ArgAdmins, []string{"newco/admin ed25519:AAA xwing:BBB", "newco/second k e"}),
		tx.String("node_node_id", "newco-n"), tx.String("node_org", "newco"), tx.Uint("node_raft_id", 9), tx.String("node_raft_addr", "r"), tx.String("node_api_addr", "a")}
	ok := []struct {
		kind    string
		args    tx.Args
		want    Change
		summary string
	}{
		{govvocab.KindAddOrg, addOrg,
			Change{Org: "newco", OrgKind: "charity", OrgName: "New Co",
				Admins: []string{"newco/admin", "newco/second"}, Node: "newco-n",
				RaftID: 9, RaftAddr: "r", APIAddr: "a"}, `add charity newco ("New Co") with admins newco/admin, newco/second and node newco-n (raft id 9)`},
		{govvocab.KindAddOrg, addOrg[:4],
			Change{Org: "newco", OrgKind: "charity", OrgName: "New Co", Admins: []string{"newco/admin", "newco/second"}},
			`add charity newco ("New Co") with admins newco/admin, newco/second`},
		{govvocab.KindRemoveOrg, tx.Args{tx.String(govvocab.ArgOrgID, "hope")}, Change{Org: "hope"},
			"remove organisation hope and its nodes"},
		{govvocab.KindAddNode, node,
			Change{Node: "n2", Org: "acme", RaftID: 2, RaftAddr: "10.0.0.2:7000", APIAddr: "10.0.0.2:7070"},
			"add node n2 of acme (raft id 2)"},
		{govvocab.KindRemoveNode, tx.Args{tx.String(govvocab.ArgNodeID, "n2")}, Change{Node: "n2"}, "remove node n2"},
		{govvocab.KindChangePolicy,
			tx.Args{tx.Strings(govvocab.ArgAddRules,
				[]string{"donor * report read any allow", "p, auditor, *, report, read, any, allow"}),
				tx.Strings(govvocab.ArgRemoveRules, []string{"donor,*,gift,read,own,allow"})},
			Change{AddRules: []string{"donor,*,report,read,any,allow", "auditor,*,report,read,any,allow"}, RemoveRules: []string{"donor,*,gift,read,own,allow"}},
			"change policy: add donor,*,report,read,any,allow; add auditor,*,report,read,any,allow; remove donor,*,gift,read,own,allow"},
		{govvocab.KindSetThreshold, tx.Args{tx.Uint(govvocab.ArgPercent, 66)}, Change{Percent: 66},
			"set the threshold to approvals from more than 66% of the organisations"},
	}
	for _, c := range ok {
		got, err := changeOf(c.kind, c.args)
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if !equal(*got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.kind, *got, c.want)
		}
		p := &Proposal{Kind: c.kind, Change: *got}
		if s := p.Summary(); s != c.summary {
			t.Errorf("%s: summary %q, want %q", c.kind, s, c.summary)
		}
	}
	many := make([]string, 5)
	for i := range many {
		many[i] = "donor,*,report,read,any," + []string{"allow", "deny"}[i%2]
	}
	p := &Proposal{Kind: govvocab.KindChangePolicy, Change: Change{AddRules: many}}
	if s := p.Summary(); !strings.HasSuffix(s, "; add 2 more") || strings.Count(s, "add ") != 4 {
		t.Errorf("long summary %q", s)
	}
	bad := []struct {
		name, kind string
		args       tx.Args
	}{
		{"add_org without a name", govvocab.KindAddOrg,
			tx.Args{tx.String(govvocab.ArgOrgID, "x"), tx.String(govvocab.ArgOrgKind, "charity"),
				tx.Strings(govvocab.ArgAdmins, []string{"x/a k e"})}},
		{"add_org with an empty admin", govvocab.KindAddOrg,
			tx.Args{tx.String(govvocab.ArgOrgID, "x"), tx.String(govvocab.ArgOrgKind, "charity"),
				tx.String(govvocab.ArgOrgName, "X"), tx.Strings(govvocab.ArgAdmins, []string{" "})}},
		{"add_org without admins", govvocab.KindAddOrg,
			tx.Args{tx.String(govvocab.ArgOrgID, "x"), tx.String(govvocab.ArgOrgKind, "charity"),
				tx.String(govvocab.ArgOrgName, "X")}},
		{"add_org node without raft id", govvocab.KindAddOrg,
			append(addOrg[:4:4], tx.String("node_node_id", "n"), tx.String("node_raft_addr", "r"),
				tx.String("node_api_addr", "a"))},
		{"remove_org of nothing", govvocab.KindRemoveOrg, tx.Args{tx.String(govvocab.ArgOrgID, "")}},
		{"add_node with a string raft id", govvocab.KindAddNode,
			append(node[:2:2], tx.String("raft_id", "2"), tx.String("raft_addr", "r"), tx.String("api_addr", "a"))},
		{"remove_node without a node", govvocab.KindRemoveNode, nil},
		{"change_policy without rules", govvocab.KindChangePolicy,
			tx.Args{tx.Strings(govvocab.ArgAddRules, []string{})}},
		{"change_policy with a bad rule", govvocab.KindChangePolicy,
			tx.Args{tx.Strings(govvocab.ArgAddRules, []string{"donor,*,report,fly,any,allow"})}},
		{"change_policy with rules as a string", govvocab.KindChangePolicy,
			tx.Args{tx.String(govvocab.ArgAddRules, "donor,*,report,read,any,allow")}},
		{"set_threshold 0", govvocab.KindSetThreshold, tx.Args{tx.Uint(govvocab.ArgPercent, 0)}},
		{"set_threshold 100", govvocab.KindSetThreshold, tx.Args{tx.Uint(govvocab.ArgPercent, 100)}},
		{"set_threshold as a string", govvocab.KindSetThreshold, tx.Args{tx.String(govvocab.ArgPercent, "50")}},
	}
	for _, c := range bad {
		if got, err := changeOf(c.kind, c.args); err == nil {
			t.Errorf("%s: accepted as %+v", c.name, got)
		}
	}
}

func equal(a, b Change) bool {
	return a.Org == b.Org && a.OrgKind == b.OrgKind && a.OrgName == b.OrgName && strings.Join(a.Admins, "|") == strings.Join(b.Admins, "|") &&
		a.Node == b.Node && a.RaftID == b.RaftID && a.RaftAddr == b.RaftAddr && a.APIAddr == b.APIAddr &&
		strings.Join(a.AddRules, "|") == strings.Join(b.AddRules, "|") && strings.Join(a.RemoveRules, "|") == strings.Join(b.RemoveRules, "|") &&
		a.Percent == b.Percent
}

// TestTallyOf counts only current organisations' votes, once each.
func TestTallyOf(t *testing.T) {
	p := &Proposal{Approvals: []Vote{{Org: "a"}, {Org: "gone"}}, Rejections: []Vote{{Org: "b"}}}
	tl := TallyOf(p, []string{"a", "b", "c", "d"}, 50)
	if tl.Needed != 3 || strings.Join(tl.Approved, ",") != "a" || strings.Join(tl.Rejected, ",") != "b" || strings.Join(tl.Missing, ",") != "c,d" {
		t.Fatalf("%+v", tl)
	}
}
