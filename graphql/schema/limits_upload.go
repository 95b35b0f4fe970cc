package schema

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Upload is a file sent with a GraphQL multipart request (the Upload
// scalar's value): gqlhttp puts it in the variables where the request's
// map says. Its bytes alias the request body: a resolver reads them while
// the request runs, must not modify them and must not keep them after it
// returns.
type Upload struct {
	// Filename and ContentType are what the client sent (informative).
	Filename    string
	ContentType string
	data        []byte
}

// NewUpload returns an Upload over data (not copied).
func NewUpload(filename, contentType string, data []byte) *Upload {
	return &Upload{Filename: filename, ContentType: contentType, data: data}
}

// Bytes returns the file's content (see Upload: read-only, for the
// request's duration).
func (u *Upload) Bytes() []byte { return u.data }

// Size is the file's length in bytes.
func (u *Upload) Size() int { return len(u.data) }

// UploadScalar is the Upload scalar of the GraphQL multipart request
// specification: a variable whose value is a file of the request. It
// cannot be written inline in a document, nor come from JSON variables.
var UploadScalar = graphql.NewScalar(graphql.ScalarConfig{
	Name: "Upload",
	Description: "A file sent with the request as a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec: " +
		"fields operations, map, then the files), in a variable; for records of up to 16 MiB.",
	Serialize: func(v any) any {
		if u, ok := v.(*Upload); ok {
			return u.Filename
		}
		return nil
	},
	ParseValue: func(v any) any {
		if u, ok := v.(*Upload); ok {
			return u
		}
		return nil
	},
	ParseLiteral: func(ast.Value) any { return nil },
})
