package governancegql

import (
	"errors"
	"slices"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/policies"
)

func code(err error) string {
	var e *schema.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestArgs renders the contract's argument shapes from GraphQL inputs and
// refuses, as BAD_USER_INPUT, what the ledger could not parse.
func TestArgs(t *testing.T) {
	a := &args{schema.ArgReader{In: map[string]any{
		"addRules":        []any{"donor * report read any allow", "p, auditor, *, report, read, any, allow"},
		"removeRules":     []any{"donor,*,gift,read,own,allow"},
		"admins":          []any{map[string]any{"member": "newco/admin", "signKey": "ed25519:AAA", "encKey": "xwing:BBB"}},
		"validForSeconds": 60,
	}}}
	n := a.rules("addRules", "add_rules") + a.rules("removeRules", "remove_rules")
	a.admins("admins")
	a.validFor()
	a.node(map[string]any{"id": "n2", "raftId": 2, "signKey": "k", "encKey": "e", "raftAddr": "h:1", "apiAddr": "h:2"}, "node_", "newco")
	if a.Err != nil || n != 3 {
		t.Fatalf("%d rules: %v", n, a.Err)
	}
	out := tx.Args(a.Out)
	add, _ := out.Strings("add_rules")
	admins, _ := out.Strings("admins")
	valid, _ := out.Uint("valid_for")
	org, _ := out.String("node_org")
	raft, _ := out.Uint("node_raft_id")
	if !slices.Equal(add, []string{"donor,*,report,read,any,allow", "auditor,*,report,read,any,allow"}) ||
		!slices.Equal(admins, []string{"newco/admin ed25519:AAA xwing:BBB"}) || valid != 60 || org != "newco" || raft != 2 ||
		len(out) != 11 || out.Validate() != nil {
		t.Fatalf("arguments %v", out)
	}
	bad := []struct {
		name string
		in   map[string]any
		fn   func(a *args)
	}{
		{"unknown action", map[string]any{"addRules": []any{"donor,*,report,fly,any,allow"}}, func(a *args) { a.rules("addRules", "add_rules") }},
		{"a member as sub", map[string]any{"addRules": []any{"stmarys/dr,*,report,read,any,allow"}}, func(a *args) { a.rules("addRules", "add_rules") }},
		{"no admins", map[string]any{"admins": []any{}}, func(a *args) { a.admins("admins") }},
		{"a key with a space", map[string]any{"admins": []any{map[string]any{"member": "x/a", "signKey": "a b", "encKey": "e"}}}, func(a *args) { a.admins("admins") }},
		{"validity 0", map[string]any{"validForSeconds": 0}, func(a *args) { a.validFor() }},
		{"validity over 90 days", map[string]any{"validForSeconds": maxValidFor + 1}, func(a *args) { a.validFor() }},
		{"raft id 0", nil, func(a *args) {
			a.node(map[string]any{"id": "n", "raftId": 0, "signKey": "k", "encKey": "e", "raftAddr": "a", "apiAddr": "b"}, "", "acme")
		}},
		{"node without organisation", nil, func(a *args) {
			a.node(map[string]any{"id": "n", "raftId": 1, "signKey": "k", "encKey": "e", "raftAddr": "a", "apiAddr": "b"}, "", "")
		}},
	}
	for _, c := range bad {
		a := &args{schema.ArgReader{In: c.in}}
		c.fn(a)
		if code(a.Err) != schema.CodeBadUserInput {
			t.Errorf("%s: %v", c.name, a.Err)
		}
	}
}

// TestCSV: the policy's csv field is a policy file that parses back to
// the same rules.
func TestCSV(t *testing.T) {
	rules := policies.DefaultRules()
	back, err := policies.ParseCSV(csvOf(rules))
	if err != nil || !slices.Equal(back, rules) {
		t.Fatalf("%d rules back of %d: %v", len(back), len(rules), err)
	}
}
