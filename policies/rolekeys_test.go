package policies

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/almoner/almoner/consortium-node/testseed"
)

var roleKeySeed = flag.Uint64("rolekey-seed", 0, "seed of TestRoleKeysDecideAsMembers (0: a new one)")

// TestRoleKeysDecideAsMembers: the Enforcer, whose casbin subjects are
// role keys, decides every request as a casbin enforcer over the same
// model whose subjects are the members themselves (the g rows a member's
// roles give), on random members, rules and requests, through role
// changes and removals.
func TestRoleKeysDecideAsMembers(t *testing.T) {
	seed := testseed.Seed(t, *roleKeySeed, "-rolekey-seed")
	rnd := testseed.NewRand(seed)
	orgs := []string{"stmarys", "acme", "hope"}
	pick := func(xs []string) string { return xs[rnd.IntN(len(xs))] }
	member := func() string { return fmt.Sprintf("%s/m%d", pick(orgs), rnd.IntN(40)) }
	assign := func(id string) Assignment {
		org, _, _ := strings.Cut(id, "/")
		var rs []string
		for range rnd.IntN(3) {
			rs = append(rs, pick(roles))
		}
		return Assignment{Member: id, Org: org, Roles: rs}
	}
	rules := DefaultRules()
	for range 20 { // and some denies and org-specific rules
		obj := pick(Objects())
		r := Rule{Sub: pick(roles), Dom: pick(append(orgs, "*")), Obj: obj, Act: pick(append(Actions(obj), "*")),
			Cond: pick(conds), Eft: pick([]string{Allow, Allow, Deny})}
		rules = append(rules, r)
	}
	rules = dedupe(rules)
	members := map[string]Assignment{}
	for range 60 {
		a := assign(member())
		members[a.Member] = a
	}
	src := StaticSource{RuleList: rules}
	for _, a := range members {
		src.AssignmentList = append(src.AssignmentList, a)
	}
	e, err := New(src)
	if err != nil {
		t.Fatal(err)
	}
	for step := range 6 {
		ref := reference(t, rules, members)
		for range 3000 {
			obj := pick(Objects())
			r := Request{Sub: member(), Dom: pick(orgs), Obj: obj, Act: pick(Actions(obj)), Org: pick(append(orgs, "")),
				Consent: rnd.IntN(2) == 0}
			switch rnd.IntN(3) {
			case 0:
				r.Owner = r.Sub
			case 1:
				r.Owner = member()
			}
			if a, ok := members[r.Sub]; ok && rnd.IntN(4) > 0 {
				r.Dom = a.Org // mostly the member's own organisation
			}
			got, err := e.Enforce(r)
			if err != nil {
				t.Fatal(err)
			}
			want := false
			if a, ok := members[r.Sub]; ok && a.Org == r.Dom {
				consent := ""
				if r.Consent {
					consent = "active"
				}
				if want, err = ref.Enforce(r.Sub, r.Dom, r.Obj, r.Act, r.Owner, r.Org, consent); err != nil {
					t.Fatal(err)
				}
			}
			if got.Allowed != want {
				t.Fatalf("seed %d step %d: %+v: allowed %v, members as subjects say %v (rule %q)", seed, step, r,
					got.Allowed, want, got.Rule)
			}
		}
		// Roles change, members go, new ones come.
		var u Update
		for range 10 {
			a := assign(member())
			members[a.Member] = a
			u.Set = append(u.Set, a)
		}
		set := map[string]bool{}
		for _, a := range u.Set {
			set[a.Member] = true
		}
		for id := range members {
			if !set[id] && rnd.IntN(8) == 0 { // (Apply removes before it sets)
				delete(members, id)
				u.Remove = append(u.Remove, id)
			}
		}
		if err := e.Apply(u); err != nil {
			t.Fatal(err)
		}
	}
}

func dedupe(rs []Rule) []Rule {
	seen := map[Rule]bool{}
	var out []Rule
	for _, r := range rs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// reference is a plain casbin enforcer whose subjects are the members.
func reference(t *testing.T, rules []Rule, members map[string]Assignment) *casbin.Enforcer {
	t.Helper()
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		t.Fatal(err)
	}
	ce, err := casbin.NewEnforcer(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if _, err := ce.AddPolicy(r.Strings()); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range members {
		for _, role := range withMember(a) {
			if _, err := ce.AddGroupingPolicy(a.Member, role, a.Org); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ce
}
