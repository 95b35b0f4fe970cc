package schema

import (
	"context"
	"errors"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/session"
)

type ctxKey struct{}

// request is the per-request state resolvers see.
type request struct {
	principal *session.Principal
	loaders   *Loaders
}

// WithRequest returns ctx carrying the acting principal (nil: anonymous)
// and fresh dataloaders. Call it once per GraphQL operation.
func (s *Schema) WithRequest(ctx context.Context, p *session.Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, &request{principal: p, loaders: newLoaders(s.Cfg.Store)})
}

func req(ctx context.Context) *request {
	r, _ := ctx.Value(ctxKey{}).(*request)
	if r == nil {
		return &request{}
	}
	return r
}

// Principal returns who the operation acts for (nil: anonymous).
func Principal(ctx context.Context) *session.Principal { return req(ctx).principal }

// viewer requires an authenticated principal whose password needs no
// change (an account created by someone else may only change it).
func viewer(ctx context.Context) (*session.Principal, error) {
	p := Principal(ctx)
	if p == nil {
		return nil, ErrUnauthenticated
	}
	if p.MustChangePassword {
		return nil, ErrMustChangePassword
	}
	return p, nil
}

// writer requires a principal that may act (the write scope).
func writer(ctx context.Context) (*session.Principal, error) {
	p, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Can(session.ScopeWrite) {
		return nil, ErrReadOnlyToken
	}
	return p, nil
}

// Loaders batch and cache point reads for one request (no N+1 reads: a
// list of 100 transactions whose senders are 3 members reads 3 members).
type Loaders struct {
	Member *dataloader.Loader[string, *readmodel.Member]
	Org    *dataloader.Loader[string, *readmodel.Org]
	Block  *dataloader.Loader[uint64, *readmodel.Block]
	Tx     *dataloader.Loader[tx.ID, *readmodel.Tx]
}

// loaderWait is how long a loader collects keys before one batch read.
const loaderWait = 500 * time.Microsecond

func batch[K comparable, V any](get func(K) (V, error)) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(func(_ context.Context, keys []K) []*dataloader.Result[V] {
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			v, err := get(k)
			out[i] = &dataloader.Result[V]{Data: v, Error: err}
		}
		return out
	}, dataloader.WithWait[K, V](loaderWait), dataloader.WithBatchCapacity[K, V](256))
}

func newLoaders(s *readmodel.Store) *Loaders {
	return &Loaders{
		Member: batch(s.Member),
		Org:    batch(s.Org),
		Block:  batch(s.Block),
		Tx:     batch(s.Tx),
	}
}

// LoadersFrom returns the request's loaders (for module resolvers).
func LoadersFrom(ctx context.Context) *Loaders { return req(ctx).loaders }

// thunk turns a loader thunk into a graphql-go thunk that maps
// readmodel.ErrNotFound to null.
func thunk[V any](t dataloader.Thunk[*V]) func() (any, error) {
	return func() (any, error) {
		v, err := t()
		if errors.Is(err, readmodel.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}
