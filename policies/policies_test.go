package policies

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/decisions.golden")

// world is the default policy with one member per role in a hospital
// "stmarys", plus members of other organisations for cross-organisation
// cases.
func world(t testing.TB) *Enforcer {
	t.Helper()
	var as []Assignment
	for _, r := range roles {
		if r == RoleMember {
			as = append(as, Assignment{Member: "stmarys/plain", Org: "stmarys"})
			continue
		}
		as = append(as, Assignment{Member: "stmarys/" + r, Org: "stmarys", Roles: []string{r}})
	}
	as = append(as,
		Assignment{Member: "city/physician", Org: "city", Roles: []string{"physician"}},
		Assignment{Member: "acme/adjuster", Org: "acme", Roles: []string{"claims_adjuster"}},
		Assignment{Member: "zenith/adjuster", Org: "zenith", Roles: []string{"claims_adjuster"}},
		Assignment{Member: "stmarys/dual", Org: "stmarys", Roles: []string{"physician", "claims_adjuster"}},
	)
	e, err := New(StaticSource{RuleList: DefaultRules(), AssignmentList: as})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func allowed(t testing.TB, e *Enforcer, r Request) bool {
	t.Helper()
	d, err := e.Enforce(r)
	if err != nil {
		t.Fatal(err)
	}
	return d.Allowed
}

// TestDecisionsGolden pins every decision of the default policy: each
// role against each catalogued action, in each relation to the resource
// (own / held by the member's organisation / under an active consent).
// A change to default.csv shows up here as a reviewable diff; run with
// -update to accept it.
func TestDecisionsGolden(t *testing.T) {
	e := world(t)
	var b strings.Builder
	b.WriteString("# role obj act: relations that are allowed (own, org, consent, none = with no relation at all)\n")
	for _, role := range roles {
		sub := "stmarys/" + role
		if role == RoleMember {
			sub = "stmarys/plain"
		}
		for _, obj := range Objects() {
			for _, act := range catalog[obj] {
				var ok []string
				for _, rel := range []string{"none", "own", "org", "consent"} {
					r := Request{Sub: sub, Dom: "stmarys", Obj: obj, Act: act, Owner: "someone/else", Org: "elsewhere"}
					switch rel {
					case "own":
						r.Owner = sub
					case "org":
						r.Org = "stmarys"
					case "consent":
						r.Consent = true
					}
					if allowed(t, e, r) {
						ok = append(ok, rel)
					}
				}
				if len(ok) > 0 {
					fmt.Fprintf(&b, "%s %s %s: %s\n", role, obj, act, strings.Join(ok, " "))
				}
			}
		}
	}
	got := b.String()
	const path = "testdata/decisions.golden"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./policies -run Golden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("decisions differ from %s; if the policy change is intended, run with -update and review the diff.\ngot:\n%s", path, got)
	}
}

// TestKeyDecisions states the policy's intent case by case, including the
// cross-organisation attempts.
func TestKeyDecisions(t *testing.T) {
	e := world(t)
	for _, c := range []struct {
		name string
		r    Request
		want bool
	}{
		{"physician registers a record at own hospital", Request{Sub: "stmarys/physician", Dom: "stmarys", Obj: "record", Act: "register", Org: "stmarys"}, true},
		{"physician of another hospital registers at stmarys", Request{Sub: "city/physician", Dom: "city", Obj: "record", Act: "register", Org: "stmarys"}, false},
		{"physician reads another hospital's record without consent", Request{Sub: "city/physician", Dom: "city", Obj: "record", Act: "read", Org: "stmarys", Owner: "stmarys/patient"}, false},
		{"physician reads another hospital's record with consent", Request{Sub: "city/physician", Dom: "city", Obj: "record", Act: "read", Org: "stmarys", Owner: "stmarys/patient", Consent: true}, true},
		{"physician breaks glass anywhere", Request{Sub: "city/physician", Dom: "city", Obj: "record", Act: "break_glass", Org: "stmarys"}, true},
		{"adjuster adjudicates own insurer's claim", Request{Sub: "acme/adjuster", Dom: "acme", Obj: "claim", Act: "adjudicate", Org: "acme"}, true},
		{"adjuster adjudicates another insurer's claim", Request{Sub: "acme/adjuster", Dom: "acme", Obj: "claim", Act: "adjudicate", Org: "zenith"}, false},
		{"adjuster reads another insurer's claim", Request{Sub: "zenith/adjuster", Dom: "zenith", Obj: "claim", Act: "read", Org: "acme"}, false},
		{"adjuster reads a consented record", Request{Sub: "acme/adjuster", Dom: "acme", Obj: "record", Act: "read", Org: "stmarys", Consent: true}, true},
		{"adjuster reads a record without consent", Request{Sub: "acme/adjuster", Dom: "acme", Obj: "record", Act: "read", Org: "stmarys"}, false},
		{"deny overrides: physician who is also an adjuster cannot break glass", Request{Sub: "stmarys/dual", Dom: "stmarys", Obj: "record", Act: "break_glass"}, false},
		{"dual-role member still registers records", Request{Sub: "stmarys/dual", Dom: "stmarys", Obj: "record", Act: "register", Org: "stmarys"}, true},
		{"patient grants consent on own records", Request{Sub: "stmarys/patient", Dom: "stmarys", Obj: "consent", Act: "grant", Owner: "stmarys/patient"}, true},
		{"patient grants consent on someone else's records", Request{Sub: "stmarys/patient", Dom: "stmarys", Obj: "consent", Act: "grant", Owner: "stmarys/other"}, false},
		{"donor reads own gift", Request{Sub: "stmarys/donor", Dom: "stmarys", Obj: "gift", Act: "read", Owner: "stmarys/donor"}, true},
		{"donor reads another donor's gift", Request{Sub: "stmarys/donor", Dom: "stmarys", Obj: "gift", Act: "read", Owner: "x/y"}, false},
		{"auditor reads the access log", Request{Sub: "stmarys/auditor", Dom: "stmarys", Obj: "access_log", Act: "read"}, true},
		{"auditor never reads records, even with consent", Request{Sub: "stmarys/auditor", Dom: "stmarys", Obj: "record", Act: "read", Consent: true}, false},
		{"org admin adds a member to own organisation", Request{Sub: "stmarys/org_admin", Dom: "stmarys", Obj: "member", Act: "add", Org: "stmarys"}, true},
		{"org admin adds a member to another organisation", Request{Sub: "stmarys/org_admin", Dom: "stmarys", Obj: "member", Act: "add", Org: "acme"}, false},
		{"anyone rotates own keys", Request{Sub: "stmarys/plain", Dom: "stmarys", Obj: "member", Act: "rotate_keys", Owner: "stmarys/plain", Org: "stmarys"}, true},
		{"nobody rotates another's keys without org_admin", Request{Sub: "stmarys/physician", Dom: "stmarys", Obj: "member", Act: "rotate_keys", Owner: "stmarys/plain", Org: "stmarys"}, false},
		{"claiming a foreign domain gives nothing", Request{Sub: "acme/adjuster", Dom: "zenith", Obj: "claim", Act: "read", Org: "zenith"}, false},
		{"unknown member gets nothing", Request{Sub: "nobody/x", Dom: "nobody", Obj: "chain", Act: "read"}, false},
		{"validator approves a milestone they are named on", Request{Sub: "stmarys/milestone_validator", Dom: "stmarys", Obj: "milestone", Act: "approve", Owner: "stmarys/milestone_validator"}, true},
		{"validator approves someone else's milestone", Request{Sub: "stmarys/milestone_validator", Dom: "stmarys", Obj: "milestone", Act: "approve", Owner: "x/y"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := allowed(t, e, c.r); got != c.want {
				t.Fatalf("Enforce(%+v) = %v, want %v", c.r, got, c.want)
			}
		})
	}
}

func TestUpdateInvalidatesAndIsIdempotent(t *testing.T) {
	e := world(t)
	read := Request{Sub: "stmarys/donor", Dom: "stmarys", Obj: "report", Act: "read"}
	if allowed(t, e, read) {
		t.Fatal("donor reads reports before the change")
	}
	r := Rule{Sub: "donor", Dom: "*", Obj: "report", Act: "read", Cond: CondAny, Eft: Allow}
	for i := 0; i < 2; i++ { // the second apply is a no-op
		if err := e.Apply(Update{AddRules: []Rule{r}}); err != nil {
			t.Fatal(err)
		}
		if !allowed(t, e, read) {
			t.Fatalf("apply %d: the cached denial survived the rule change", i+1)
		}
	}
	deny := Rule{Sub: "donor", Dom: "stmarys", Obj: "report", Act: "*", Cond: CondAny, Eft: Deny}
	if err := e.Apply(Update{AddRules: []Rule{deny}}); err != nil {
		t.Fatal(err)
	}
	if allowed(t, e, read) {
		t.Fatal("a deny rule did not override the allow")
	}
	if err := e.Apply(Update{RemoveRules: []Rule{deny, r}}); err != nil {
		t.Fatal(err)
	}
	if allowed(t, e, read) {
		t.Fatal("removed allow rule still allows")
	}

	// Role changes: the member's cache key changes with their roles.
	reg := Request{Sub: "stmarys/donor", Dom: "stmarys", Obj: "record", Act: "register", Org: "stmarys"}
	if allowed(t, e, reg) {
		t.Fatal("donor registers records")
	}
	if err := e.Apply(Update{Set: []Assignment{{Member: "stmarys/donor", Org: "stmarys", Roles: []string{"records_clerk"}}}}); err != nil {
		t.Fatal(err)
	}
	if !allowed(t, e, reg) {
		t.Fatal("new role not in effect")
	}
	if allowed(t, e, Request{Sub: "stmarys/donor", Dom: "stmarys", Obj: "gift", Act: "give"}) {
		t.Fatal("old role still in effect")
	}
	if err := e.Apply(Update{Remove: []string{"stmarys/donor"}}); err != nil {
		t.Fatal(err)
	}
	if allowed(t, e, reg) || allowed(t, e, Request{Sub: "stmarys/donor", Dom: "stmarys", Obj: "chain", Act: "read"}) {
		t.Fatal("a removed member is still allowed")
	}
	if err := e.Apply(Update{AddRules: []Rule{{Sub: "stmarys/x", Dom: "*", Obj: "record", Act: "read", Cond: CondAny, Eft: Allow}}}); !errors.Is(err, ErrBadRule) {
		t.Fatalf("a rule naming a member: %v, want ErrBadRule", err)
	}
}

func TestParseAndValidate(t *testing.T) {
	if n := len(DefaultRules()); n < 50 {
		t.Fatalf("default policy has %d rules", n)
	}
	for _, bad := range []string{
		"p, nurse, *, record, read, any, allow",       // unknown role
		"p, physician, *, recrod, read, any, allow",   // unknown object
		"p, physician, *, record, fly, any, allow",    // unknown action
		"p, physician, *, record, read, maybe, allow", // unknown condition
		"p, physician, *, record, read, any, perhaps", // unknown effect
		"p, physician, St Mary's, record, read, any, allow",
		"p, physician, *, record, read, any",
		"g, a, b, c",
	} {
		if _, err := ParseCSV(bad); !errors.Is(err, ErrBadRule) {
			t.Errorf("ParseCSV(%q) = %v, want ErrBadRule", bad, err)
		}
	}
	if _, err := ParseCSV("p, donor, *, gift, give, any, allow\np,donor,*,gift,give,any,allow"); !errors.Is(err, ErrBadRule) {
		t.Errorf("a repeated row was accepted: %v", err)
	}
	r, err := ParseRule("physician,*,record,read,consent,allow")
	if err != nil || r.String() != "physician,*,record,read,consent,allow" {
		t.Fatalf("ParseRule: %v %v", r, err)
	}
	if r2, err := ParseRule("  physician * record read   consent allow "); err != nil || r2 != r {
		t.Fatalf("space-separated rule: %v %v", r2, err)
	}
}

func TestAdapterIsReadOnly(t *testing.T) {
	a := &Adapter{Src: StaticSource{}}
	if err := a.SavePolicy(nil); !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	}
	if err := a.AddPolicy("p", "p", nil); !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	}
	if err := a.RemovePolicy("p", "p", nil); !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	}
	if err := a.RemoveFilteredPolicy("p", "p", 0); !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	}
	bad := StaticSource{RuleList: []Rule{{Sub: "x", Dom: "*", Obj: "record", Act: "read", Cond: "any", Eft: "allow"}}}
	if _, err := New(bad); !errors.Is(err, ErrBadRule) {
		t.Fatalf("loading an invalid rule from state: %v", err)
	}
}

// TestConcurrentEnforce runs the enforcer from many goroutines (as the
// parallel executor does), for the race detector and for consistency.
func TestConcurrentEnforce(t *testing.T) {
	e := world(t)
	reqs := []Request{
		{Sub: "stmarys/physician", Dom: "stmarys", Obj: "record", Act: "register", Org: "stmarys"},
		{Sub: "city/physician", Dom: "city", Obj: "record", Act: "register", Org: "stmarys"},
		{Sub: "acme/adjuster", Dom: "acme", Obj: "claim", Act: "pay", Org: "acme"},
	}
	want := []bool{true, false, true}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				k := i % len(reqs)
				d, err := e.Enforce(reqs[k])
				if err != nil || d.Allowed != want[k] {
					errs <- fmt.Sprintf("%+v: %v %v", reqs[k], d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
