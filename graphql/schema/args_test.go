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
	"github.com/almoner/almoner/portal/session"
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

// TestReadable: no one signed in (or a password to change first) is
// refused before anything is read; a missing object is nil without asking
// allow; allow sees the viewer and the object, and its refusal is the
// answer; a failed read is INTERNAL.
func TestReadable(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	signedIn := func(p *session.Principal) context.Context {
		return context.WithValue(context.Background(), ctxKey{}, &request{principal: p})
	}
	a := new(string)
	reads := 0
	read := func(id string) (*string, error) {
		reads++
		switch id {
		case "a":
			return a, nil
		case "broken":
			return nil, errors.New("disk on fire")
		}
		return nil, readmodel.ErrNotFound
	}
	var asked []string
	allow := func(viewer string, v *string) error {
		asked = append(asked, viewer)
		if v != a {
			t.Errorf("allow asked about %p, not the object read", v)
		}
		if viewer != "org/alice" {
			return Forbidden("only alice")
		}
		return nil
	}
	for _, c := range []struct {
		ctx  context.Context
		want error
	}{
		{context.Background(), ErrUnauthenticated},
		{signedIn(&session.Principal{Account: "org/alice", MustChangePassword: true}), ErrMustChangePassword},
	} {
		if v, err := Readable(c.ctx, log, "thing", read, "a", allow); v != nil || !errors.Is(err, c.want) {
			t.Errorf("%v %v, want %v", v, err, c.want)
		}
	}
	if reads != 0 || len(asked) != 0 {
		t.Fatalf("read %d times and asked %q for no viewer", reads, asked)
	}
	alice, bob := signedIn(&session.Principal{Account: "org/alice"}), signedIn(&session.Principal{Account: "org/bob"})
	if v, err := Readable(alice, log, "thing", read, "a", allow); v != a || err != nil {
		t.Errorf("alice: %v %v", v, err)
	}
	var e *Error
	if v, err := Readable(bob, log, "thing", read, "a", allow); v != nil || !errors.As(err, &e) || e.Code != CodeForbidden {
		t.Errorf("bob: %v %v, want FORBIDDEN", v, err)
	}
	if !slices.Equal(asked, []string{"org/alice", "org/bob"}) {
		t.Errorf("allow asked for %q", asked)
	}
	if v, err := Readable(alice, log, "thing", read, "none", allow); v != nil || err != nil || len(asked) != 2 {
		t.Errorf("none: %v %v (allow asked %d times)", v, err, len(asked))
	}
	if v, err := Readable(alice, log, "thing", read, "broken", allow); v != nil || !errors.As(err, &e) ||
		e.Code != CodeInternal {
		t.Errorf("broken: %v %v, want INTERNAL", v, err)
	}
}
