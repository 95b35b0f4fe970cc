package app_test

import (
	"flag"
	"os"
	"testing"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"github.com/almoner/almoner/portal/internal/testnode"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite graphql/schema.graphql from the portal's schema")

// schemaFile is the portal's GraphQL schema as SDL, kept in the tree so
// that every API change shows in a diff.
const schemaFile = "../../graphql/schema.graphql"

// TestSchemaFile: graphql/schema.graphql is the portal's schema as built
// (every module), printed as SDL that parses; a change to the API must
// come with the file (go test ./portal/app -run TestSchemaFile -update-schema).
func TestSchemaFile(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalLogged(t, n)
	got := p.Schema().SDL()
	if _, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(got), Name: "schema.graphql"})}); err != nil {
		t.Fatalf("the printed schema does not parse: %v", err)
	}
	if *updateSchema {
		if err := os.WriteFile(schemaFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run go test ./portal/app -run TestSchemaFile -update-schema)", err)
	}
	if string(want) != got {
		t.Fatalf("graphql/schema.graphql differs from the portal's schema: if the API change is intended, run "+
			"go test ./portal/app -run TestSchemaFile -update-schema and review the diff (%d bytes, the schema %d)", len(want), len(got))
	}
}
