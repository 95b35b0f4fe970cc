package schema

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/portal/readmodel"
)

// TestChanges: the object is sent for a block that changed it, nothing
// for one that did not, and a failed read ends the stream with the error,
// logged with the subscription's name, its attributes and the height.
func TestChanges(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	failed := errors.New("index unreadable")
	next := Changes(context.Background(), log, "claimStatus", func(b *readmodel.Block) (any, error) {
		switch b.Height {
		case 1:
			return nil, nil
		case 2:
			return "changed", nil
		}
		return nil, failed
	}, "claim", "c-1")
	if vs, err := next(&readmodel.Block{Height: 1}); err != nil || len(vs) != 0 {
		t.Fatalf("an unchanged block: %v %v", vs, err)
	}
	if vs, err := next(&readmodel.Block{Height: 2}); err != nil || len(vs) != 1 || vs[0] != "changed" {
		t.Fatalf("a changing block: %v %v", vs, err)
	}
	if logs.Len() != 0 {
		t.Fatalf("logged without a failure: %s", logs.String())
	}
	if vs, err := next(&readmodel.Block{Height: 3}); !errors.Is(err, failed) || vs != nil {
		t.Fatalf("a failed read: %v %v", vs, err)
	}
	for _, want := range []string{"claimStatus subscription", "claim=c-1", "height=3", "index unreadable"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("the log lacks %q: %s", want, logs.String())
		}
	}
}

// TestFollowID: the object named by the argument is streamed, first as
// read reads it (with the id and the request's context); none is
// NOT_FOUND naming what, and read's error (a refusal) is answered as it
// is. (TestChanges covers what follows for each block.)
func TestFollowID(t *testing.T) {
	_, _, _, f, _ := genesisReadModel(t)
	cfg := &Config{Blocks: f, SubscriptionBuffer: 1}
	refused := Forbidden("not yours")
	type key struct{}
	read := func(ctx context.Context, id string) (*string, error) {
		switch {
		case ctx.Value(key{}) != "req":
			return nil, errors.New("read without the request's context")
		case id == "none":
			return nil, nil
		case id == "theirs":
			return nil, refused
		}
		v := "thing " + id
		return &v, nil
	}
	reread := func(_ context.Context, id string, b *readmodel.Block) (any, error) { return id, nil }
	sub := FollowID(cfg, slog.New(slog.DiscardHandler), "thingUpdates", "thingId", "thing", read, reread)
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "req"))
	defer cancel()
	call := func(id string) (any, error) {
		return sub(graphql.ResolveParams{Context: ctx, Args: map[string]any{"thingId": id}})
	}
	var e *Error
	if v, err := call("none"); v != nil || !errors.As(err, &e) || e.Code != CodeNotFound || e.Message != "no thing with this id" {
		t.Fatalf("none: %v %v", v, err)
	}
	if v, err := call("theirs"); v != nil || err != refused {
		t.Fatalf("refused: %v %v", v, err)
	}
	v, err := call("t-1")
	ch, ok := v.(chan any)
	if err != nil || !ok {
		t.Fatalf("t-1: %v %v", v, err)
	}
	if first := <-ch; *first.(*string) != "thing t-1" {
		t.Fatalf("first %v", first)
	}
}

// TestByID: the object read answers for the id in the argument; none is
// null itself (not a typed nil pointer), and read's error is answered.
func TestByID(t *testing.T) {
	refused := Forbidden("not yours")
	read := func(_ context.Context, id string) (*string, error) {
		switch id {
		case "none":
			return nil, nil
		case "theirs":
			return nil, refused
		}
		return &id, nil
	}
	resolve := ByID("thingId", read)
	call := func(id string) (any, error) {
		return resolve(graphql.ResolveParams{Context: context.Background(), Args: map[string]any{"thingId": id}})
	}
	if v, err := call("t-1"); err != nil || *v.(*string) != "t-1" {
		t.Fatalf("t-1: %v %v", v, err)
	}
	if v, err := call("none"); v != nil || err != nil {
		t.Fatalf("none: %#v %v", v, err)
	}
	if v, err := call("theirs"); v != nil || err != refused {
		t.Fatalf("refused: %#v %v", v, err)
	}
}

// TestReread: an object is sent again only after a block that changed it,
// as itself or as its view; a failed read or view ends with its error.
func TestReread(t *testing.T) {
	type obj struct {
		id      string
		updated uint64
	}
	failed := errors.New("read failed")
	read := func(id string) (*obj, error) {
		if id == "broken" {
			return nil, failed
		}
		return &obj{id: id, updated: 2}, nil
	}
	changed := func(o *obj, h uint64) bool { return o.updated == h }
	ctx := context.Background()
	plain := Reread(read, changed, nil)
	if v, err := plain(ctx, "a", &readmodel.Block{Height: 1}); v != nil || err != nil {
		t.Fatalf("a block that did not change it: %v %v", v, err)
	}
	if v, err := plain(ctx, "a", &readmodel.Block{Height: 2}); err != nil || v.(*obj).id != "a" {
		t.Fatalf("the block that changed it: %v %v", v, err)
	}
	if v, err := plain(ctx, "broken", &readmodel.Block{Height: 2}); v != nil || !errors.Is(err, failed) {
		t.Fatalf("a failed read: %v %v", v, err)
	}
	viewed := Reread(read, changed, func(_ context.Context, o *obj) (any, error) {
		if o.id == "unviewable" {
			return nil, failed
		}
		return "view of " + o.id, nil
	})
	if v, err := viewed(ctx, "a", &readmodel.Block{Height: 1}); v != nil || err != nil {
		t.Fatalf("viewed, a block that did not change it: %v %v", v, err)
	}
	if v, err := viewed(ctx, "a", &readmodel.Block{Height: 2}); err != nil || v != "view of a" {
		t.Fatalf("viewed, the block that changed it: %v %v", v, err)
	}
	if v, err := viewed(ctx, "unviewable", &readmodel.Block{Height: 2}); v != nil || !errors.Is(err, failed) {
		t.Fatalf("a failed view: %v %v", v, err)
	}
}
