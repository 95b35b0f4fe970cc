package donations

import (
	"testing"

	"github.com/almoner/almoner/portal/internal/rmtest"
)

// TestClonesOwnLists: the records the reader returns share nothing with
// the decoded ones it keeps.
func TestClonesOwnLists(t *testing.T) {
	t.Run("campaign", func(t *testing.T) { rmtest.CheckClone(t, (*Campaign).clone) })
	t.Run("gift", func(t *testing.T) { rmtest.CheckClone(t, (*Gift).clone) })
	t.Run("disbursement", func(t *testing.T) { rmtest.CheckClone(t, (*Disbursement).clone) })
}
