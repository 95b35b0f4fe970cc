package schema

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
)

// testSchema is a small recursive schema: Query.node returns a Node whose
// fields return Nodes, so documents can nest and fragments can spread.
func testSchema(t testing.TB) *Schema {
	t.Helper()
	var node *graphql.Object
	node = graphql.NewObject(graphql.ObjectConfig{Name: "Node", Fields: graphql.FieldsThunk(func() graphql.Fields {
		return graphql.Fields{
			"id":   &graphql.Field{Type: graphql.String},
			"next": &graphql.Field{Type: node, Args: graphql.FieldConfigArgument{"f": &graphql.ArgumentConfig{Type: graphql.String}}},
			"list": &graphql.Field{Type: graphql.NewList(node), Args: graphql.FieldConfigArgument{"first": &graphql.ArgumentConfig{Type: graphql.Int}}},
		}
	})})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"node": &graphql.Field{Type: node},
		"echo": &graphql.Field{Type: graphql.String, Args: graphql.FieldConfigArgument{
			"in": &graphql.ArgumentConfig{Type: graphql.NewList(graphql.NewList(graphql.String))}}},
	}})})
	if err != nil {
		t.Fatal(err)
	}
	return &Schema{Schema: s}
}

// TestPrepareRefusesBeforeValidation holds the documents that made
// graphql-go's validation recurse without end (a fragment cycle: "fatal
// error: stack overflow", which recover() cannot catch) or take
// exponential time, and checks each is refused quickly with a code.
func TestPrepareRefusesBeforeValidation(t *testing.T) {
	s := testSchema(t)
	chain := func(n int, body string) string { // F0 spreads F1 twice, ..., F(n-1) is body
		var b strings.Builder
		b.WriteString("{ node { ...F0 } }\n")
		for i := 0; i < n-1; i++ {
			b.WriteString("fragment F" + strconv.Itoa(i) + " on Node { next { ...F" + strconv.Itoa(i+1) + " } list { ...F" + strconv.Itoa(i+1) + " } }\n")
		}
		b.WriteString("fragment F" + strconv.Itoa(n-1) + " on Node { " + body + " }\n")
		return b.String()
	}
	for _, tc := range []struct {
		name, doc, code, msg string
	}{
		{"the reported cycle", `fragment F on Query { ...G } fragment G on Query { ...F } { ...F }`, CodeBadUserInput,
			`Cannot spread fragment "F" within itself via G.`},
		{"self spread", `{ node { ...A } } fragment A on Node { next { ...A } }`, CodeBadUserInput,
			`Cannot spread fragment "A" within itself.`},
		{"cycle not reached from the operation", `{ node { id } } fragment A on Node { ...B } fragment B on Node { ...C } fragment C on Node { ...A }`,
			CodeBadUserInput, `Cannot spread fragment "A" within itself via B, C.`},
		{"cycle behind a chain", `{ node { ...A } } fragment A on Node { ...B } fragment B on Node { ...C } fragment C on Node { ...B }`,
			CodeBadUserInput, `Cannot spread fragment "B" within itself via C.`},
		{"cycle through inline fragments", `{ node { ...A } } fragment A on Node { ... on Node { next { ... { ...A } } } }`,
			CodeBadUserInput, `Cannot spread fragment "A" within itself.`},
		{"duplicate fragment", `{ node { ...A } } fragment A on Node { id } fragment A on Node { next { id } }`, CodeBadUserInput,
			`There can only be one fragment named "A".`},
		{"variable without a type", `query A($A:) {A}`, CodeBadUserInput, "Syntax Error"},
		{"list type without an item type", `query A($A: ]) { node { id } }`, CodeBadUserInput, "Syntax Error"},
		{"type definition", `type T { a: Int } { node { id } }`, CodeBadUserInput, "not executable"},
		{"exponential fragments", chain(40, "id"), CodeTooComplex, "once its fragments are expanded"},
		{"many fields", "{ node { " + strings.Repeat("id ", 6000) + "} }", CodeTooComplex, "once its fragments are expanded"},
		{"conflicting same-named fields", "{ node { " + conflicting(1300) + "} }", CodeTooComplex, "repeats fields"},
		{"same-named fields merged through fragments", "{ node { ...A ...B } } fragment A on Node { " + conflicting(40) +
			"} fragment B on Node { " + conflicting(40) + "}", CodeTooComplex, "repeats fields"},
		{"deep selections", strings.Repeat("{ node ", 1) + strings.Repeat("{ next ", 200) + "{ id" + strings.Repeat(" }", 202),
			CodeTooComplex, "nests more than"},
		{"deep list value", `{ echo(in: ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `) }`, CodeTooComplex,
			"nests more than"},
		{"deep object value", `{ node { next(f: ` + strings.Repeat("{a: ", 3000) + "1" + strings.Repeat("}", 3000) + `) { id } } }`,
			CodeTooComplex, "nests more than"},
		{"deep variable type", `query($v: ` + strings.Repeat("[", 3000) + "String" + strings.Repeat("]", 3000) + `) { node { id } }`,
			CodeTooComplex, "nests more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := s.Prepare(tc.doc, "", Limits{MaxQueryBytes: 1 << 20})
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("want a request error, got %v", err)
			}
			if code := re.Errors[0].Extensions["code"]; code != tc.code || !strings.Contains(re.Errors[0].Message, tc.msg) {
				t.Fatalf("got %v %q, want %s %q", code, re.Errors[0].Message, tc.code, tc.msg)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("refusing took %v", d) // a bound against regressions to exponential, not a benchmark
			}
		})
	}
}

// conflicting selects next n times with different arguments: each pair
// is a conflict that graphql-go reports (1,300 kept a core busy for more
// than ten minutes).
func conflicting(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(`next(f: "` + strconv.Itoa(i) + `") { id } `)
	}
	return b.String()
}

// TestPrepareAcceptsFragments checks that ordinary fragment use (a DAG,
// repeated spreads, nesting within the limits) still prepares.
func TestPrepareAcceptsFragments(t *testing.T) {
	s := testSchema(t)
	for _, doc := range []string{
		`{ node { ...A ...B } } fragment A on Node { id next { ...B } } fragment B on Node { id list(first: 2) { ...C } } fragment C on Node { id }`,
		`{ node { ...A } } fragment A on Node { ...B ...B } fragment B on Node { id }`,
		`query Q($v: [[String]] = [["a"]]) { echo(in: $v) node { ... on Node { next { ... { id } } } } }`,
		`{ node ` + strings.Repeat("{ next ", 10) + "{ id" + strings.Repeat(" }", 12),
	} {
		if _, err := s.Prepare(doc, "", Limits{}); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}
