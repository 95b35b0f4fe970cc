package schema

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
)

// TestObjects: each input object is rendered in order with its position
// into one list argument; an empty, missing or mistyped list fails with
// its message and adds nothing; a render that fails keeps the first error.
func TestObjects(t *testing.T) {
	render := func(a *ArgReader) func(int, map[string]any) string {
		return func(i int, in map[string]any) string {
			s, _ := in["s"].(string)
			if s == "" {
				a.Fail("item " + strconv.Itoa(i+1) + " has no s")
			}
			return strconv.Itoa(i) + "=" + s
		}
	}
	a := &ArgReader{In: map[string]any{"xs": []any{map[string]any{"s": "a"}, map[string]any{"s": "b"}}}}
	a.Objects("xs", "list", "list one", render(a))
	got, err := tx.Args(a.Out).Strings("list")
	if a.Err != nil || err != nil || !slices.Equal(got, []string{"0=a", "1=b"}) {
		t.Fatalf("two objects: %q %v %v", got, err, a.Err)
	}
	for name, in := range map[string]any{"empty": []any{}, "missing": nil, "not a list": "x"} {
		a := &ArgReader{In: map[string]any{}}
		if in != nil {
			a.In["xs"] = in
		}
		a.Objects("xs", "list", "list one", render(a))
		var e *Error
		if !errors.As(a.Err, &e) || e.Code != CodeBadUserInput || e.Message != "xs must list one" || len(a.Out) != 0 {
			t.Errorf("%s: %v, %d arguments", name, a.Err, len(a.Out))
		}
	}
	a = &ArgReader{In: map[string]any{"xs": []any{map[string]any{"s": "a"}, map[string]any{}, "junk"}}}
	a.Objects("xs", "list", "list one", render(a))
	if a.Err == nil || a.Err.Error() != "item 2 has no s" {
		t.Fatalf("a bad object: %v", a.Err)
	}
}
