package schema

import (
	"fmt"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	"time"

	"github.com/graphql-go/graphql"
)

// Helpers the domain modules share to declare and resolve their types.

// List is a non-null list of non-null t: [t!]!.
func List(t graphql.Type) graphql.Output {
	return graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t)))
}

// Field returns a field of type t that resolves to get of its source,
// which is a T (an object type of a module resolves from one Go type);
// any other source fails with an internal error naming pkg, the module's
// package. desc, when given, is the field's description.
func Field[T any](pkg string, t graphql.Output, get func(T) any, desc ...string) *graphql.Field {
	f := &graphql.Field{Type: t, Resolve: func(p graphql.ResolveParams) (any, error) {
		src, ok := p.Source.(T)
		if !ok {
			return nil, fmt.Errorf("%s: source is %T", pkg, p.Source)
		}
		return get(src), nil
	}}
	if len(desc) > 0 {
		f.Description = desc[0]
	}
	return f
}

// Refs returns pointers to the elements of xs (a list field's values,
// resolved by Field from *T).
func Refs[T any](xs []T) []*T {
	out := make([]*T, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}

// OptString is s, or nil (null) when s is empty.
func OptString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// RFC3339Nano formats a time in Unix nanoseconds as RFC 3339 in UTC, with
// as many fractional digits as it needs.
func RFC3339Nano(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// Forbidden is a FORBIDDEN error that says msg.
func Forbidden(msg string) error { return Errorf(CodeForbidden, msg) }

// BadInput is a BAD_USER_INPUT error that says msg.
func BadInput(msg string) error { return Errorf(CodeBadUserInput, msg) }

// OrgOf returns the organisation of a member id "<org>/<name>".
func OrgOf(member string) string { return memberid.OrgOf(member) }
