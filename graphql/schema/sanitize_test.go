package schema

import (
	"context"
	"testing"

	"github.com/graphql-go/graphql/gqlerrors"
)

// TestSanitizeDeadline: a request whose time ran out (graphql-go reports
// it as a bare "context deadline exceeded") is UNAVAILABLE and says the
// work may still complete, not BAD_USER_INPUT.
func TestSanitizeDeadline(t *testing.T) {
	errs := (&Schema{}).Sanitize(context.Background(), []gqlerrors.FormattedError{
		gqlerrors.FormatError(context.DeadlineExceeded)})
	if len(errs) != 1 || errs[0].Extensions["code"] != CodeUnavailable || errs[0].Message == context.DeadlineExceeded.Error() {
		t.Fatalf("a request out of time: %+v", errs)
	}
}
