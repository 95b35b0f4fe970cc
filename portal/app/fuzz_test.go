package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/server"
)

// FuzzGraphQLDocument feeds arbitrary documents to the portal's real
// schema, in process: preparing (parse, the bounded precheck, validation,
// limits) and, for queries and mutations, executing them as an anonymous
// caller. No document may crash the process, hang, or produce an error
// without a code.
func FuzzGraphQLDocument(f *testing.F) {
	for _, s := range []string{
		`fragment F on Query { ...G } fragment G on Query { ...F } { ...F }`,
		`{ nodeStatus { chainId height } organisations { id kind name } }`,
		`query Q($a: String) { members(organisation: "stmarys", first: 2, after: $a) { nodes { id } pageInfo { hasNextPage } } }`,
		`{ blocks(first: 2) { edges { cursor node { height transactions { id } } } } }`,
		`{ campaigns(first: 5) { nodes { ...C } } } fragment C on Campaign { id name raised { amount currency } }`,
		`{ __schema { types { name fields { name args { name type { ...T } } } } } } fragment T on __Type { kind name ofType { kind name } }`,
		`mutation { revokeApiToken(id: "x") }`,
		`subscription { newBlocks { height } }`,
		`{ node { ... on Query { __typename } } }`,
		`{ a: __typename a: __typename b: nodeStatus { height } b: nodeStatus { chainId } }`,
	} {
		f.Add(s)
	}
	_, p := startPortal(f, server.Config{})
	sch := p.Schema()
	f.Fuzz(func(t *testing.T, doc string) {
		prep, err := sch.Prepare(doc, "", schema.Limits{})
		if err != nil {
			var re *schema.RequestError
			if !errors.As(err, &re) || len(re.Errors) == 0 {
				t.Fatalf("not a request error: %v", err)
			}
			for _, e := range re.Errors {
				if e.Extensions["code"] == nil {
					t.Fatalf("request error without a code: %q", e.Message)
				}
			}
			return
		}
		if prep.Operation == schema.OpSubscription {
			return
		}
		ctx, cancel := context.WithTimeout(sch.WithRequest(context.Background(), nil), 5*time.Second)
		defer cancel()
		res := sch.Execute(ctx, prep, nil)
		for _, e := range sch.Sanitize(ctx, res.Errors) {
			if e.Extensions["code"] == nil {
				t.Fatalf("execution error without a code: %q", e.Message)
			}
		}
	})
}
