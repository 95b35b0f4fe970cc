package claims

import (
	"testing"

	"github.com/almoner/almoner/portal/internal/rmtest"
)

// TestCloneOwnsLists: a claim the reader returns shares nothing with the
// decoded one it keeps.
func TestCloneOwnsLists(t *testing.T) { rmtest.CheckClone(t, (*Claim).clone) }
