package app_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	nodeclient "github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/server"
	"github.com/almoner/almoner/portal/session"
)

// selfService marks a mutation any signed-in account may run on its own
// account (no policy object: passwords and API tokens).
const selfService = "self"

// mutationPolicy maps every mutation of the portal's schema to the policy
// object and action its contract (or, for reads, the portal) asks about,
// as read from the contracts' ctx.Authorize calls. Each transaction
// mutation declares the same pair (schema.TxMutation's Object and
// Action, which the portal's pre-check asks); TestMutationAuthorisationMatrix
// fails when a mutation is missing here or its declaration disagrees.
var mutationPolicy = map[string][2]string{
	"acceptConsent":             {"consent", "grant"},
	"declineConsent":            {"consent", "grant"},
	"amendConsent":              {"consent", "grant"},
	"grantConsent":              {"consent", "grant"},
	"requestConsent":            {"consent", "request"},
	"revokeConsent":             {"consent", "revoke"},
	"submitClaim":               {"claim", "submit"},
	"submitFhirClaim":           {"claim", "submit"},
	"reviewClaim":               {"claim", "review"},
	"adjudicateClaim":           {"claim", "adjudicate"},
	"payClaim":                  {"claim", "pay"},
	"appealClaim":               {"claim", "appeal"},
	"cancelClaim":               {"claim", "cancel"},
	"openClaimDocument":         {"claim", "read"},
	"createCampaign":            {"campaign", "create"},
	"openCampaign":              {"campaign", "open"},
	"closeCampaign":             {"campaign", "close"},
	"cancelCampaign":            {"campaign", "cancel"},
	"give":                      {"gift", "give"},
	"submitEvidence":            {"milestone", "submit_evidence"},
	"approveMilestone":          {"milestone", "approve"},
	"rejectMilestone":           {"milestone", "reject"},
	"settleMilestone":           {"milestone", "settle"},
	"disburse":                  {"disbursement", "create"},
	"confirmReceipt":            {"disbursement", "confirm"},
	"proposeAddNode":            {"proposal", "propose"},
	"proposeRemoveNode":         {"proposal", "propose"},
	"proposeAddOrganisation":    {"proposal", "propose"},
	"proposeRemoveOrganisation": {"proposal", "propose"},
	"proposePolicyChange":       {"proposal", "propose"},
	"proposeThreshold":          {"proposal", "propose"},
	"approveProposal":           {"proposal", "approve"},
	"rejectProposal":            {"proposal", "reject"},
	"withdrawProposal":          {"proposal", "withdraw"},
	"registerRecord":            {"record", "register"},
	"eraseRecord":               {"record", "erase"},
	"readRecord":                {"record", "read"},
	"breakGlassRead":            {"record", "break_glass"},
	"reviewBreakGlass":          {"break_glass", "review"},
	"sendAccessNote":            {selfService}, // signs no transaction: only the access's reader (or its reviewer) sends its note
	"createMember":              {"member", "add"},
	"setMemberRoles":            {"member", "set_roles"},
	"revokeMember":              {"member", "revoke"},
	"changePassword":            {selfService},
	"createApiToken":            {selfService},
	"markInboxRead":             {selfService},
	"setNotifications":          {selfService},
	"revokeApiToken":            {selfService},
}

// orgArgs are ID arguments that name an organisation, and memberArgs
// those that name a member (the target organisation's matrix member);
// other ID arguments name objects that do not exist ("<org>/x").
var (
	orgArgs    = []string{"organisation", "insurer", "provider"}
	memberArgs = []string{"member", "patient", "payee", "grantee"}
)

// target is the organisation a run's arguments name.
type target struct{ org, kind string }

// member is the organisation's matrix member, the target of member
// arguments (created by its admin before the runs).
func (g target) member() string { return g.org + "/matrix-target" }

// role is a role that suits a member of the organisation and is not an
// administrator's.
func (g target) role() string { rs := identity.RolesFor(g.kind); return rs[len(rs)-1] }

// matrixRun is one mutation run as one caller against one organisation.
type matrixRun struct {
	who, roles, rel, mutation string
	allowed                   bool   // what the policy allows, read most permissively
	got                       string // "ok", "submitted" (awaiting its receipt), or a refusal
	txID                      string
}

// TestMutationAuthorisationMatrix runs every mutation of the portal's real
// schema (enumerated from the schema, arguments generated from their
// types) as every demo member, each against its own organisation and
// another one, and anonymously, in process over a real node. Refusals of
// any kind pass; a mutation that succeeds (answers without error and,
// when it submits a transaction, commits with an OK receipt) for a caller
// the policy does not allow fails the test. The policy is read most
// permissively: the caller owns the object and an owner's consent holds,
// only the organisation varies.
func TestMutationAuthorisationMatrix(t *testing.T) {
	n, p := startPortal(t, server.Config{})
	sch := p.Schema()
	mt := sch.MutationType()
	names := slices.Sorted(maps.Keys(mt.Fields()))
	for _, m := range names {
		if _, ok := mutationPolicy[m]; !ok {
			t.Errorf("mutation %s is not in mutationPolicy: classify it (its policy object and action)", m)
		}
	}
	for m := range mutationPolicy {
		if mt.Fields()[m] == nil {
			t.Errorf("mutationPolicy lists %s, which the schema does not have", m)
		}
	}
	txs := sch.TxMutations()
	for m, pol := range mutationPolicy {
		if got, ok := txs[m]; pol[0] != selfService && got != pol {
			t.Errorf("mutation %s declares policy %v (a transaction mutation: %v), want %v", m, got, ok, pol)
		}
	}
	for m := range txs {
		if mutationPolicy[m][0] == selfService {
			t.Errorf("mutation %s signs a transaction, but mutationPolicy says it is self-service", m)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	orgs, err := sch.Cfg.Store.Orgs()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, o := range orgs {
		kinds[o.ID] = o.Kind
		if admin := o.ID + "/admin"; p.DevAccounts[admin] != "" {
			g := target{o.ID, o.Kind}
			mustRun(t, sch, admin, `mutation($id: ID!, $r: [String!]!) { createMember(id: $id, roles: $r) { __typename } }`,
				map[string]any{"id": g.member(), "r": []string{g.role()}})
		}
	}
	accounts := slices.Sorted(maps.Keys(p.DevAccounts))
	var runs []*matrixRun
	for _, m := range names {
		f := mt.Fields()[m]
		for _, who := range append([]string{""}, accounts...) {
			own, _, _ := strings.Cut(who, "/")
			targets := []string{orgs[0].ID}
			if who != "" {
				other := orgs[0].ID
				if other == own {
					other = orgs[1].ID
				}
				targets = []string{own, other}
			}
			for _, org := range targets {
				r := &matrixRun{who: who, rel: "none", mutation: m}
				if who != "" {
					r.rel = "other"
					if org == own {
						r.rel = "own"
					}
					r.allowed, r.roles = policyAllows(t, sch, who, org, mutationPolicy[m])
				} else {
					r.who = "anonymous"
				}
				r.got, r.txID = runMutation(t, sch, who, f, target{org, kinds[org]})
				runs = append(runs, r)
			}
		}
	}
	settle(t, n.Client, runs)
	var allowed, refused, ok int
	var bad, okRows []string
	outcomes := map[string]int{}
	for _, r := range runs {
		outcomes[r.got]++
		if r.allowed {
			allowed++
		}
		if r.got != "ok" {
			refused++
			continue
		}
		ok++
		okRows = append(okRows, r.who+" "+r.rel+" "+r.mutation)
		if !r.allowed {
			bad = append(bad, fmt.Sprintf("%-18s %-28s %-6s %-26s %-4s %s", r.who, r.roles, r.rel, r.mutation, r.got,
				"denies"))
		}
	}
	t.Logf("%d mutations x %d callers (%d demo members x own/other organisation, anonymous): %d runs; "+
		"policy allows %d; succeeded %d; refused %d %v", len(names), len(accounts)+1, len(accounts), len(runs),
		allowed, ok, refused, outcomes)
	t.Logf("succeeded: %s", strings.Join(okRows, "; "))
	if len(bad) > 0 {
		t.Errorf("mutations that succeeded where the policy does not allow them:\n%-18s %-28s %-6s %-26s %-4s %s\n%s",
			"caller", "roles", "org", "mutation", "got", "policy", strings.Join(bad, "\n"))
	}
}

// policyAllows reads the policy for who acting on obj/act of an object
// held by org, most permissively (who owns it, under consent), and
// returns who's roles for the report.
func policyAllows(t *testing.T, sch *schema.Schema, who, org string, pol [2]string) (bool, string) {
	t.Helper()
	m, err := sch.Cfg.Store.Member(who)
	if err != nil {
		t.Fatalf("member %s: %v", who, err)
	}
	roles := strings.Join(m.Roles, ",")
	if pol[0] == selfService {
		return true, roles
	}
	ok, err := sch.Cfg.Policy.Allowed(who, pol[0], pol[1], who, org, true)
	if err != nil {
		t.Fatal(err)
	}
	return ok, roles
}

// runMutation runs mutation f as who ("" anonymous) with its required
// arguments generated for organisation org, and says what came back.
func runMutation(t *testing.T, sch *schema.Schema, who string, f *graphql.FieldDefinition,
	org target) (got, txID string) {
	t.Helper()
	var decls, uses []string
	vars := map[string]any{}
	for i, a := range f.Args {
		if _, req := a.Type.(*graphql.NonNull); !req {
			continue
		}
		v := fmt.Sprintf("v%d", i)
		decls = append(decls, "$"+v+": "+a.Type.String())
		uses = append(uses, a.Name()+": $"+v)
		vars[v] = argValue(t, f.Name+"."+a.Name(), a.Name(), a.Type, org)
	}
	sel := ""
	switch u := unwrap(f.Type).(type) {
	case *graphql.Object:
		sel = "{ __typename }"
		if u.Name() == "TxResult" {
			sel = "{ id status receipt { status } }"
		}
	}
	doc := "mutation"
	if len(decls) > 0 {
		doc += "(" + strings.Join(decls, ", ") + ")"
	}
	doc += " { r: " + f.Name
	if len(uses) > 0 {
		doc += "(" + strings.Join(uses, ", ") + ")"
	}
	doc += " " + sel + " }"
	prep, err := sch.Prepare(doc, "", schema.Limits{})
	if err != nil {
		t.Fatalf("%s: preparing %s: %v", f.Name, doc, err)
	}
	ctx, cancel := context.WithTimeout(sch.WithRequest(context.Background(), principal(who)), 15*time.Second)
	defer cancel()
	res := sch.Execute(ctx, prep, vars)
	if len(res.Errors) > 0 {
		e := sch.Sanitize(ctx, res.Errors)[0]
		code, _ := e.Extensions["code"].(string)
		if code == "" || code == "INTERNAL" {
			t.Errorf("%s as %q: an error that is not a refusal: %s", f.Name, who, e.Message)
		}
		return code, ""
	}
	data, _ := res.Data.(map[string]any)
	tr, isTx := data["r"].(map[string]any)
	if !isTx || tr["status"] == nil {
		return "ok", ""
	}
	id, _ := tr["id"].(string)
	return "submitted", id
}

// principal is a browser session of who ("": anonymous).
func principal(who string) *session.Principal {
	if who == "" {
		return nil
	}
	return &session.Principal{Account: who, Via: "session", Scopes: []string{session.ScopeRead, session.ScopeWrite},
		SessionID: "matrix"}
}

// mustRun runs a setup document as who and waits for the read model to
// show its effect.
func mustRun(t *testing.T, sch *schema.Schema, who, doc string, vars map[string]any) {
	t.Helper()
	prep, err := sch.Prepare(doc, "", schema.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(sch.WithRequest(context.Background(), principal(who)), 15*time.Second)
	defer cancel()
	if res := sch.Execute(ctx, prep, vars); len(res.Errors) > 0 {
		t.Fatalf("setup as %s: %v", who, res.Errors)
	}
	id, _ := vars["id"].(string)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := sch.Cfg.Store.Member(id); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("setup: member %s not in the read model", id)
		}
	}
}

func unwrap(t graphql.Type) graphql.Type {
	for {
		switch w := t.(type) {
		case *graphql.NonNull:
			t = w.OfType
		case *graphql.List:
			t = w.OfType
		default:
			return t
		}
	}
}

// argValue is a minimal valid-looking value of type typ for the argument
// or input field name, naming objects of the organisation org.
func argValue(t *testing.T, path, name string, typ graphql.Type, org target) any {
	t.Helper()
	switch w := typ.(type) {
	case *graphql.NonNull:
		return argValue(t, path, name, w.OfType, org)
	case *graphql.List:
		return []any{argValue(t, path, name, w.OfType, org)}
	case *graphql.Enum:
		vs := w.Values()
		if len(vs) == 0 {
			t.Fatalf("%s: enum %s has no values", path, w.Name())
		}
		first := vs[0].Name
		for _, v := range vs {
			first = min(first, v.Name)
		}
		return first
	case *graphql.InputObject:
		out := map[string]any{}
		for fn, fd := range w.Fields() {
			if _, req := fd.Type.(*graphql.NonNull); req {
				out[fn] = argValue(t, path+"."+fn, fn, fd.Type, org)
			}
		}
		return out
	}
	switch typ.Name() {
	case "ID":
		switch {
		case slices.Contains(orgArgs, name):
			return org.org
		case slices.Contains(memberArgs, name):
			return org.member()
		}
		return org.org + "/x"
	case "String":
		switch name {
		case "roles":
			return org.role()
		case "start":
			return time.Now().UTC().Format(time.RFC3339)
		case "end":
			return time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
		case "currency":
			return "EUR"
		}
		return "x"
	case "Int":
		return 1
	case "Boolean":
		return false
	case "Amount":
		return "100"
	}
	t.Fatalf("%s: no generated value for type %s: teach argValue about it", path, typ.Name())
	return nil
}

// settle waits for the receipts of the submitted runs: "ok" for an OK
// receipt, "FAILED" for a failed one.
func settle(t *testing.T, nc *nodeclient.Client, runs []*matrixRun) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		waiting := 0
		for _, r := range runs {
			if r.got != "submitted" {
				continue
			}
			id, err := tx.ParseID(r.txID)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			pf, err := nc.Proof(ctx, id)
			cancel()
			switch {
			case err != nil:
				waiting++
			case pf.Receipt.OK():
				r.got = "ok"
			default:
				r.got = "FAILED"
			}
		}
		if waiting == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d submitted transactions not committed after 30s", waiting)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
