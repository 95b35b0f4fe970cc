package gqlhttp

import "testing"

func FuzzFromBody(f *testing.F) {
	for _, s := range []string{`{"query":"{ __typename }"}`, `{"query":"q","variables":null,"operationName":"x","extensions":{}}`,
		`{"query":1}`, `{ "not a JSON`, ``, `[]`, `{"query":"q","variables":"s"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := fromBody(b)
		if err != nil && err.Code == "" {
			t.Fatal("error without a code")
		}
	})
}

func TestNegotiate(t *testing.T) {
	for accept, want := range map[string]string{
		"": MediaJSON, "*/*": MediaJSON, "application/json": MediaJSON,
		"application/graphql-response+json":                         MediaGraphQLResponse,
		"application/json, application/graphql-response+json":       MediaGraphQLResponse,
		"application/graphql-response+json;q=0.5, application/json": MediaJSON,
		"application/json; charset=utf-16":                          "", "text/html": "",
	} {
		if got := negotiate(accept); got != want {
			t.Errorf("Accept %q: got %q, want %q", accept, got, want)
		}
	}
}
