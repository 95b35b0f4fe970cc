package policies

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
)

//go:embed model.conf
var modelText string

//go:embed default.csv
var defaultCSV string

// Request is one authorisation question: may Sub (a member of
// organisation Dom) do Act on a resource of kind Obj that belongs to Owner
// and is held by Org, with Consent saying whether an active consent of
// the owner covers it?
type Request struct {
	Sub, Dom, Obj, Act string
	Owner, Org         string
	Consent            bool
}

// Assignment is a member's roles in their organisation (casbin's g rows).
// A revoked member has no assignment.
type Assignment struct {
	Member, Org string
	Roles       []string
}

// Decision is an enforcement result with what decided it.
type Decision struct {
	Allowed bool
	// Rule is the rule that decided: the deny that overrode, or the allow
	// that allowed; empty when no rule matched.
	Rule string
	// Roles are the subject's roles in the request's domain, "member"
	// included (empty for a non-member); set on denials only, for error
	// messages.
	Roles []string
}

// Enforcer is a casbin enforcer over the ledger's policy and role
// assignments, with a decision cache.
//
// Enforce is safe for concurrent use (the parallel executor calls it from
// all its workers). Update must not run concurrently with Enforce calls
// whose answers must reflect the update; the node applies updates between
// blocks, so every node decides a block's transactions on the policy as of
// the block's start.
//
// Decisions are cached by (organisation, sorted roles, object, action,
// own, org, consent): every rule names a role, never a member, so two
// members with the same roles in the same organisation get the same
// answers. A change of rules drops the cache; a change of a member's
// roles needs no invalidation, since the member's key changes with them.
//
// For the same reason casbin never sees members: its subjects are the
// role keys ("org\x00sorted,roles", which no member id can be), one per
// distinct set of roles in an organisation, each with its roles as g rows.
// A member costs one map entry here, not a place in casbin's role graph
// (~1.3 KB each: a consortium has millions of patients and donors), and
// adding one is a map write unless its set of roles is new.
type Enforcer struct {
	mu    sync.RWMutex
	e     *casbin.Enforcer
	roles map[string]string // member -> its role key, interned in subjects
	// subjects holds the role keys casbin knows (each its own interned
	// copy); they stay when their last member goes (there are few).
	subjects map[string]string
	rules    map[Rule]bool
	// cache is copy-on-write: readers load it without locks or
	// allocations; a miss copies it (misses are rare: one per distinct
	// key per policy version).
	cache   atomic.Pointer[map[cacheKey]Decision]
	cacheMu sync.Mutex
}

// cacheKey is what a decision depends on. rk is the member's interned
// "org\x00sorted,roles" string.
type cacheKey struct {
	rk, obj, act string
	rel          byte // bit 0 own, bit 1 org, bit 2 consent
}

// maxCached bounds the cache; beyond it, a miss starts a new one.
const maxCached = 1 << 16

// Source supplies a policy: its rules and the members' role assignments.
// The node reads them from ledger state; tests give them directly.
type Source interface {
	Rules() ([]Rule, error)
	Assignments() ([]Assignment, error)
}

// New builds an enforcer loaded from src through the Adapter.
func New(src Source) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("policies: model: %w", err)
	}
	ce, err := casbin.NewEnforcer(m, &Adapter{Src: src})
	if err != nil {
		return nil, fmt.Errorf("policies: loading the policy: %w", err)
	}
	ce.EnableAutoSave(false) // the adapter is read-only; updates come from blocks
	e := &Enforcer{e: ce}
	if err := e.reindex(src); err != nil {
		return nil, err
	}
	e.dropCache()
	return e, nil
}

// StaticSource is a Source of fixed rules and assignments.
type StaticSource struct {
	RuleList       []Rule
	AssignmentList []Assignment
}

// Rules implements Source.
func (s StaticSource) Rules() ([]Rule, error) { return s.RuleList, nil }

// Assignments implements Source.
func (s StaticSource) Assignments() ([]Assignment, error) { return s.AssignmentList, nil }

func (e *Enforcer) reindex(src Source) error {
	rs, err := src.Rules()
	if err != nil {
		return err
	}
	as, err := src.Assignments()
	if err != nil {
		return err
	}
	e.rules = make(map[Rule]bool, len(rs))
	for _, r := range rs {
		e.rules[r] = true
	}
	e.roles = make(map[string]string, len(as))
	e.subjects = map[string]string{}
	for _, a := range as {
		rk := roleKey(a)
		if k, ok := e.subjects[rk]; ok {
			rk = k
		} else {
			e.subjects[rk] = rk // the Adapter loaded its g rows
		}
		e.roles[a.Member] = rk
	}
	return nil
}

// roleRows are the g rows of a role key: its roles in its organisation.
func roleRows(rk string) [][]string {
	org, list, _ := strings.Cut(rk, "\x00")
	var rows [][]string
	for _, role := range strings.Split(list, ",") {
		rows = append(rows, []string{rk, role, org})
	}
	return rows
}

func withMember(a Assignment) []string {
	rs := append(slices.Clone(a.Roles), RoleMember)
	slices.Sort(rs)
	return slices.Compact(rs)
}

func roleKey(a Assignment) string {
	return a.Org + "\x00" + strings.Join(withMember(a), ",")
}

func bit(b bool, n uint) byte {
	if b {
		return 1 << n
	}
	return 0
}

func (e *Enforcer) dropCache() {
	empty := map[cacheKey]Decision{}
	e.cache.Store(&empty)
}

// Enforce decides r.
func (e *Enforcer) Enforce(r Request) (Decision, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	rk, ok := e.roles[r.Sub]
	if !ok || len(rk) <= len(r.Dom) || rk[:len(r.Dom)] != r.Dom || rk[len(r.Dom)] != 0 {
		// Not an active member of r.Dom: no role holds, nothing matches.
		return Decision{}, nil
	}
	key := cacheKey{rk: rk, obj: r.Obj, act: r.Act,
		rel: bit(r.Owner != "" && r.Owner == r.Sub, 0) | bit(r.Org != "" && r.Org == r.Dom, 1) | bit(r.Consent, 2)}
	if d, ok := (*e.cache.Load())[key]; ok {
		return withRoles(d, rk, r.Dom), nil
	}
	consent := ""
	if r.Consent {
		consent = "active"
	}
	// casbin's subject is the role key; "own" compares the owner with it.
	owner := r.Owner
	if key.rel&1 != 0 {
		owner = rk
	}
	allowed, explain, err := e.e.EnforceEx(rk, r.Dom, r.Obj, r.Act, owner, r.Org, consent)
	if err != nil {
		return Decision{}, fmt.Errorf("policies: enforcing: %w", err)
	}
	d := Decision{Allowed: allowed, Rule: strings.Join(explain, ",")}
	e.cacheMu.Lock()
	old := *e.cache.Load()
	next := make(map[cacheKey]Decision, len(old)+1)
	if len(old) < maxCached {
		maps.Copy(next, old)
	}
	next[key] = d
	e.cache.Store(&next)
	e.cacheMu.Unlock()
	return withRoles(d, rk, r.Dom), nil
}

func withRoles(d Decision, rk, dom string) Decision {
	if !d.Allowed {
		d.Roles = strings.Split(rk[len(dom)+1:], ",")
	}
	return d
}

// Update is a batch of changes, applied together.
type Update struct {
	// Set replaces the members' assignments (added or changed members).
	Set []Assignment
	// Remove drops members (revoked, or of a removed organisation).
	Remove []string
	// AddRules and RemoveRules change the policy.
	AddRules, RemoveRules []Rule
}

// Empty reports whether u changes nothing.
func (u *Update) Empty() bool {
	return len(u.Set)+len(u.Remove)+len(u.AddRules)+len(u.RemoveRules) == 0
}

// Apply applies u. Rules already present (or absent, for removal) are
// skipped, so replaying an update is harmless.
func (e *Enforcer) Apply(u Update) error {
	if u.Empty() {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range u.Remove {
		if err := e.dropMember(id); err != nil {
			return err
		}
	}
	for _, a := range u.Set {
		if a.Org == "" || strings.Contains(a.Org, "\x00") {
			return fmt.Errorf("policies: member %q has no organisation", a.Member)
		}
		rk := roleKey(a)
		if k, ok := e.subjects[rk]; ok {
			rk = k
		} else {
			if _, err := e.e.AddGroupingPolicies(roleRows(rk)); err != nil {
				return fmt.Errorf("policies: assigning roles of %q: %w", a.Member, err)
			}
			e.subjects[rk] = rk
		}
		e.roles[a.Member] = rk
	}
	var add, remove [][]string
	for _, r := range u.RemoveRules {
		if e.rules[r] {
			remove = append(remove, r.Strings())
			delete(e.rules, r)
		}
	}
	for _, r := range u.AddRules {
		if err := r.Validate(); err != nil {
			return err
		}
		if !e.rules[r] {
			add = append(add, r.Strings())
			e.rules[r] = true
		}
	}
	if len(remove) > 0 {
		if _, err := e.e.RemovePolicies(remove); err != nil {
			return fmt.Errorf("policies: removing rules: %w", err)
		}
	}
	if len(add) > 0 {
		if _, err := e.e.AddPolicies(add); err != nil {
			return fmt.Errorf("policies: adding rules: %w", err)
		}
	}
	if len(add)+len(remove) > 0 {
		e.dropCache() // every cached decision may have changed
	}
	return nil
}

func (e *Enforcer) dropMember(id string) error {
	delete(e.roles, id)
	return nil
}

// Rules returns the current rules, sorted.
func (e *Enforcer) Rules() []Rule {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Rule, 0, len(e.rules))
	for r := range e.rules {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Rule) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

// Allowing returns the allow rules for obj and act (act "*" rules
// included): what a denied member would need. Used in error messages.
func (e *Enforcer) Allowing(obj, act string) []Rule {
	var out []Rule
	for _, r := range e.Rules() {
		if r.Eft == Allow && r.Obj == obj && (r.Act == act || r.Act == "*") {
			out = append(out, r)
		}
	}
	return out
}
