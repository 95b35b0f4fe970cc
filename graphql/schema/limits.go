package schema

import "fmt"

// CodePayloadTooLarge: the request body is over the limit for its kind
// (HTTP 413); the message and extensions.limit say the limit in bytes.
const CodePayloadTooLarge = "PAYLOAD_TOO_LARGE"

// Size limits of requests (docs/portal.md, docs/decisions/0018). A
// GraphQL request in JSON stays small; a record of real size comes as a
// file of a multipart request (graphql-multipart-request-spec), which the
// portal hands to the resolver without copying it.
const (
	// MaxJSONBodyBytes is the default limit of a JSON request body (and
	// of a multipart request's operations field).
	MaxJSONBodyBytes = 1 << 20
	// MaxUploadFileBytes bounds one file of a multipart request: a
	// record of up to 16 MiB.
	MaxUploadFileBytes = 16 << 20
	// MaxUploadRequestBytes bounds a whole multipart request: its file
	// and up to 1 MiB of operations, map and part headers. The HTTP
	// server must accept bodies of this size on its GraphQL route.
	MaxUploadRequestBytes = MaxUploadFileBytes + 1<<20
)

// TooLarge is the error of a request body over limit bytes; what says
// what it is ("the request body", "a file").
func TooLarge(what string, limit int) *Error {
	return Errorf(CodePayloadTooLarge, fmt.Sprintf("%s is over the limit of %s", what, Bytes(limit)))
}

// Bytes writes a size for people: "16 MiB (16777216 bytes)".
func Bytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB (%d bytes)", n>>20, n)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB (%d bytes)", n>>10, n)
	}
	return fmt.Sprintf("%d bytes", n)
}
