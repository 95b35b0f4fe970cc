package schema

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/readmodel"
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

// TestFound: a read's object as is; none (readmodel.ErrNotFound) is nil
// without an error; a failed read is INTERNAL without detail, a coded
// error passes through.
func TestFound(t *testing.T) {
	ctx, log := context.Background(), slog.New(slog.DiscardHandler)
	objs := map[string]*string{"a": new(string)}
	read := func(id string) (*string, error) {
		switch id {
		case "broken":
			return nil, errors.New("disk on fire")
		case "coded":
			return nil, Forbidden("no")
		}
		if v, ok := objs[id]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("reading %s: %w", id, readmodel.ErrNotFound)
	}
	if v, err := Found(ctx, log, "thing", read, "a"); v != objs["a"] || err != nil {
		t.Fatalf("a: %v %v", v, err)
	}
	if v, err := Found(ctx, log, "thing", read, "none"); v != nil || err != nil {
		t.Fatalf("none: %v %v", v, err)
	}
	for id, code := range map[string]string{"broken": CodeInternal, "coded": CodeForbidden} {
		v, err := Found(ctx, log, "thing", read, id)
		var e *Error
		if v != nil || !errors.As(err, &e) || e.Code != code || strings.Contains(e.Message, "fire") {
			t.Errorf("%s: %v %v, want %s", id, v, err, code)
		}
	}
}
