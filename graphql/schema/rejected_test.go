package schema

import (
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
)

// TestRejected: a transaction the node refused is answered by the node's
// reason: a key that is no member's is FORBIDDEN, a malformed request
// BAD_USER_INPUT, a full pool UNAVAILABLE (retry), the rest CONFLICT;
// every reason gets an answer.
func TestRejected(t *testing.T) {
	want := map[api.Refusal]string{
		api.RefusedNotMember: CodeForbidden, api.RefusedPrecheck: CodeBadUserInput, api.RefusedMalformed: CodeBadUserInput,
		api.RefusedFull: CodeUnavailable, api.RefusedDuplicate: CodeConflict, api.RefusedExpired: CodeConflict,
	}
	for _, r := range append(api.Refusals(), "") {
		e := rejected(api.TxStatus{Status: api.StatusRejected, Reason: r, Error: "because"})
		if w, ok := want[r]; (ok && e.Code != w) || e.Code == "" || e.Message == "" {
			t.Errorf("reason %q: %s %q, want %s", r, e.Code, e.Message, w)
		}
	}
}
