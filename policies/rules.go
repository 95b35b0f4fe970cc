package policies

import (
	"bufio"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of this package.
var (
	// ErrBadRule marks a policy row that does not fit the model.
	ErrBadRule = errors.New("policies: bad rule")
	// ErrReadOnly is returned by the adapter's write methods: the policy
	// changes only through governance proposals on the ledger.
	ErrReadOnly = errors.New("policies: the policy lives in ledger state and changes only through governance proposals")
)

// Rule is one policy row: (sub, dom, obj, act, cond, eft).
type Rule struct {
	Sub  string `json:"sub"`
	Dom  string `json:"dom"`
	Obj  string `json:"obj"`
	Act  string `json:"act"`
	Cond string `json:"cond"`
	Eft  string `json:"eft"`
}

// Strings returns the rule as casbin's policy values.
func (r Rule) Strings() []string { return []string{r.Sub, r.Dom, r.Obj, r.Act, r.Cond, r.Eft} }

// String renders the rule as a CSV line without the "p, " prefix.
func (r Rule) String() string { return strings.Join(r.Strings(), ",") }

// Key is a canonical, order-free identity of the rule (for state keys).
func (r Rule) Key() string { return strings.Join(r.Strings(), "|") }

// RuleFromStrings builds a rule from its six values.
func RuleFromStrings(v []string) (Rule, error) {
	if len(v) != 6 {
		return Rule{}, fmt.Errorf("%w: want 6 values (sub, dom, obj, act, cond, eft), got %d", ErrBadRule, len(v))
	}
	r := Rule{Sub: v[0], Dom: v[1], Obj: v[2], Act: v[3], Cond: v[4], Eft: v[5]}
	return r, r.Validate()
}

// ParseRule parses "sub,dom,obj,act,cond,eft" (spaces around values are
// ignored; a leading "p," is accepted), or the same six values separated
// by spaces only ("sub dom obj act cond eft", handy on command lines whose
// lists are comma-separated).
func ParseRule(line string) (Rule, error) {
	var parts []string
	if strings.Contains(line, ",") {
		parts = strings.Split(line, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
	} else {
		parts = strings.Fields(line)
	}
	if len(parts) == 7 && parts[0] == "p" {
		parts = parts[1:]
	}
	return RuleFromStrings(parts)
}

func validToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Validate checks the rule against the model's vocabulary: a known role
// (never a member: decisions must depend on roles only, which is what
// makes them cacheable), an organisation id or "*", an object and action
// from the catalogue (or "*" for every action), a condition and an effect.
func (r Rule) Validate() error {
	switch {
	case !slices.Contains(roles, r.Sub):
		return fmt.Errorf("%w %q: sub %q is not a role (one of %s)", ErrBadRule, r, r.Sub, strings.Join(roles, ", "))
	case r.Dom != "*" && !validToken(r.Dom):
		return fmt.Errorf("%w %q: dom must be an organisation id or *", ErrBadRule, r)
	case catalog[r.Obj] == nil:
		return fmt.Errorf("%w %q: unknown object %q (one of %s)", ErrBadRule, r, r.Obj, strings.Join(Objects(), ", "))
	case r.Act != "*" && !slices.Contains(catalog[r.Obj], r.Act):
		return fmt.Errorf("%w %q: %s has no action %q (one of %s, or *)", ErrBadRule, r, r.Obj, r.Act, strings.Join(catalog[r.Obj], ", "))
	case !slices.Contains(conds, r.Cond):
		return fmt.Errorf("%w %q: cond %q (one of %s)", ErrBadRule, r, r.Cond, strings.Join(conds, ", "))
	case r.Eft != Allow && r.Eft != Deny:
		return fmt.Errorf("%w %q: eft must be allow or deny", ErrBadRule, r)
	}
	return nil
}

// ParseCSV parses a policy file: one "p, sub, dom, obj, act, cond, eft"
// row per line; blank lines and lines starting with # are skipped.
// Duplicate rows are refused.
func ParseCSV(text string) ([]Rule, error) {
	var out []Rule
	seen := map[Rule]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "p,") {
			return nil, fmt.Errorf("%w: line %d: rows start with \"p,\"", ErrBadRule, n)
		}
		r, err := ParseRule(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if seen[r] {
			return nil, fmt.Errorf("%w: line %d repeats %q", ErrBadRule, n, r)
		}
		seen[r] = true
		out = append(out, r)
	}
	return out, sc.Err()
}

// DefaultRules returns the default policy (default.csv).
func DefaultRules() []Rule {
	rs, err := ParseCSV(defaultCSV)
	if err != nil {
		panic(fmt.Sprintf("policies: embedded default.csv: %v", err)) // checked by tests
	}
	return rs
}

// Model returns the casbin model text (model.conf).
func Model() string { return modelText }
