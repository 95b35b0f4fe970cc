package schema

import (
	"context"
	"log/slog"
	"slices"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/portal/readmodel"
)

// Stream runs a subscription over applied blocks: it sends first (a
// snapshot; may be empty), then, for every block the read model applies,
// the values next returns for it, until ctx ends, the subscription is
// dropped, or next fails. Call Blocks.Subscribe before reading the
// snapshot, so that no block falls between the two. Stream owns sub and
// closes it. The channel is bidirectional because graphql-go's
// subscriptions accept only a chan any.
func Stream(ctx context.Context, sub *readmodel.Subscription, first []any, next func(b *readmodel.Block) ([]any, error)) chan any {
	out := make(chan any)
	go func() {
		defer close(out)
		defer sub.Close()
		send := func(vs []any) bool {
			for _, v := range vs {
				select {
				case out <- v:
				case <-ctx.Done():
					return false
				}
			}
			return true
		}
		if !send(first) {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case b, ok := <-sub.C():
				if !ok {
					return
				}
				vs, err := next(b)
				if err != nil || !send(vs) {
					return
				}
			}
		}
	}()
	return out
}

// Follow streams one object: it subscribes to the read model's blocks,
// then reads the object as it is now (read; so that no block falls
// between), answers NOT_FOUND with notFound when there is none, and
// otherwise streams it first and then what next returns for every block
// (a graphql-go Subscribe result: a chan any, or nil with the error).
func Follow[T any](ctx context.Context, cfg *Config, read func() (*T, error), notFound string,
	next func(b *readmodel.Block) ([]any, error)) (any, error) {
	sub := cfg.Blocks.Subscribe(cfg.SubscriptionBuffer)
	first, err := read()
	if err == nil && first == nil {
		err = Errorf(CodeNotFound, notFound)
	}
	if err != nil {
		sub.Close()
		return nil, err
	}
	return Stream(ctx, sub, []any{first}, next), nil
}

// Changes is the next of a Stream or Follow that sends one object again
// after every block that changed it: reread reads it as the block left it,
// nil when the block did not change it. A failure is logged as name's
// (with attrs and the block's height) and ends the stream.
func Changes(ctx context.Context, log *slog.Logger, name string, reread func(b *readmodel.Block) (any, error),
	attrs ...any) func(b *readmodel.Block) ([]any, error) {
	return func(b *readmodel.Block) ([]any, error) {
		v, err := reread(b)
		if err != nil {
			log.ErrorContext(ctx, name+" subscription", append(slices.Clip(attrs), "height", b.Height, "err", err)...)
			return nil, err
		}
		if v == nil {
			return nil, nil
		}
		return []any{v}, nil
	}
}

// Reread is the reread of a FollowID for an object that says which
// blocks changed it: read reads it by its id as the read model has it
// now, changed says whether the block at height did; view (nil: the
// object itself) is what is sent.
func Reread[T any](read func(id string) (*T, error), changed func(v *T, height uint64) bool,
	view func(ctx context.Context, v *T) (any, error)) func(context.Context, string, *readmodel.Block) (any, error) {
	return func(ctx context.Context, id string, b *readmodel.Block) (any, error) {
		v, err := read(id)
		if err != nil || !changed(v, b.Height) {
			return nil, err
		}
		if view == nil {
			return v, nil
		}
		return view(ctx, v)
	}
}

// ByID resolves a field that answers one object, or null, named by its ID
// argument arg: read reads it for the viewer (nil when there is none; an
// error when the viewer may not read it), as FollowID's read does.
func ByID[T any](arg string, read func(ctx context.Context, id string) (*T, error)) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		v, err := read(p.Context, p.Args[arg].(string))
		if v == nil || err != nil {
			return nil, err // never a typed nil: graphql-go would answer an object
		}
		return v, nil
	}
}

// FollowID is the Subscribe of a subscription name that follows one
// object, a what, by its id in the ID argument arg (Follow with Changes):
// read reads it for the viewer as it is now (nil when there is none, which
// answers NOT_FOUND; an error when the viewer may not read it), reread as a
// block left it (nil when the block did not change it). A failed reread is
// logged with what and the id.
func FollowID[T any](cfg *Config, log *slog.Logger, name, arg, what string,
	read func(ctx context.Context, id string) (*T, error),
	reread func(ctx context.Context, id string, b *readmodel.Block) (any, error)) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		ctx := p.Context
		id := p.Args[arg].(string)
		return Follow(ctx, cfg, func() (*T, error) { return read(ctx, id) }, "no "+what+" with this id",
			Changes(ctx, log, name, func(b *readmodel.Block) (any, error) { return reread(ctx, id, b) }, what, id))
	}
}
