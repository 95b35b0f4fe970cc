package schema

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/readmodel"
)

// ArgReader turns a mutation's GraphQL arguments into the transaction's
// arguments, remembering the first bad one as a BAD_USER_INPUT error.
// Domain modules embed it and add readers for their own shapes.
type ArgReader struct {
	// In are the GraphQL arguments; Out the transaction arguments built.
	In  map[string]any
	Out []tx.Arg
	// Err is the first problem found (nil if none).
	Err error
}

// Fail records msg as the error unless one is recorded already.
func (a *ArgReader) Fail(msg string) {
	if a.Err == nil {
		a.Err = Errorf(CodeBadUserInput, msg)
	}
}

// Str adds a required, non-empty string argument and returns it.
func (a *ArgReader) Str(gql, name string) string {
	s, _ := a.In[gql].(string)
	if strings.TrimSpace(s) == "" {
		a.Fail(gql + " must not be empty")
	}
	a.Out = append(a.Out, tx.String(name, s))
	return s
}

// OptStr adds a string argument when it was given, and returns it.
func (a *ArgReader) OptStr(gql, name string) string {
	s, ok := a.In[gql].(string)
	if !ok {
		return ""
	}
	if strings.TrimSpace(s) == "" {
		a.Fail(gql + " must not be empty when given")
	}
	a.Out = append(a.Out, tx.String(name, s))
	return s
}

// Strings adds a list of strings when it was given.
func (a *ArgReader) Strings(gql, name string) {
	raw, ok := a.In[gql].([]any)
	if !ok {
		return
	}
	ss := make([]string, len(raw))
	for i, r := range raw {
		ss[i], _ = r.(string)
	}
	a.Out = append(a.Out, tx.Strings(name, ss))
}

// Objects adds a required list of input objects as the list argument
// name, each rendered as one of its strings by render (i is its 0-based
// position; render calls Fail for a bad one). An empty or missing list
// fails with gql + " must " + need.
func (a *ArgReader) Objects(gql, name, need string, render func(i int, in map[string]any) string) {
	raw, _ := a.In[gql].([]any)
	if len(raw) == 0 {
		a.Fail(gql + " must " + need)
		return
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		in, _ := r.(map[string]any)
		out[i] = render(i, in)
	}
	a.Out = append(a.Out, tx.Strings(name, out))
}

// Hash adds a SHA-256 given in hex (the document it hashes stays off the
// ledger). A missing optional hash adds nothing.
func (a *ArgReader) Hash(gql, name string, required bool) {
	s, ok := a.In[gql].(string)
	if !ok && !required {
		return
	}
	h, err := hex.DecodeString(s)
	if err != nil || len(h) != 32 {
		a.Fail(gql + " must be a SHA-256 in hex (64 characters); keep the document itself off the ledger")
	}
	a.Out = append(a.Out, tx.Bytes(name, h))
}

// Internal maps a resolver's error for clients: a coded *Error passes
// through, a timeout becomes UNAVAILABLE, anything else is logged and
// becomes INTERNAL without detail.
func Internal(ctx context.Context, log *slog.Logger, what string, err error) error {
	return internal(ctx, log, what, err)
}

// Found reads the object named id with read (a read model's point read)
// for a resolver: nil without an error when there is none
// (readmodel.ErrNotFound), and a failed read as Internal's error about
// what.
func Found[K, T any](ctx context.Context, log *slog.Logger, what string, read func(id K) (*T, error),
	id K) (*T, error) {
	v, err := read(id)
	if errors.Is(err, readmodel.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, Internal(ctx, log, what, err)
	}
	return v, nil
}

// Readable reads the object named id (Found's read and what) for the
// signed-in viewer: UNAUTHENTICATED when no one is, nil without an error
// when there is no such object, and allow's error (FORBIDDEN, from the
// policy) when allow refuses the viewer this object.
func Readable[K, T any](ctx context.Context, log *slog.Logger, what string, read func(id K) (*T, error), id K,
	allow func(viewer string, v *T) error) (*T, error) {
	viewer, err := Account(ctx)
	if err != nil {
		return nil, err
	}
	v, err := Found(ctx, log, what, read, id)
	if v == nil || err != nil {
		return nil, err
	}
	if err := allow(viewer, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Account returns the signed-in account (UNAUTHENTICATED if none).
func Account(ctx context.Context) (string, error) {
	p, err := viewer(ctx)
	if err != nil {
		return "", err
	}
	return p.Account, nil
}

// ForwardConnArgs are the Relay arguments of a connection that pages
// forward only (first/after; last/before are refused), plus extra.
func ForwardConnArgs(extra graphql.FieldConfigArgument) graphql.FieldConfigArgument {
	out := graphql.FieldConfigArgument{
		"first":  {Type: graphql.Int},
		"after":  {Type: graphql.String},
		"last":   {Type: graphql.Int, Description: "Not supported: this connection pages forward."},
		"before": {Type: graphql.String, Description: "Not supported: this connection pages forward."},
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
