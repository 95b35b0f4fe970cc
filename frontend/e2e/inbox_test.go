package e2e_test

import (
	"testing"
)

// TestInbox: a patient's inbox tells, in words, who read her records (the
// demo's reads by the insurer's adjuster and the emergency access), marks
// them read, switches a kind off and on; on a phone it fits the screen
// and axe-core finds no serious violation.
func TestInbox(t *testing.T) {
	s := need(t)
	b := newBrowser(t, s)
	errs := listenErrors(b)
	b.signIn("stmarys/patient-ana")
	b.visit("/inbox")
	b.waitText("Someone read, or tried to read, one of my records")
	b.waitText("acme/adjuster read your record rec-ana-1 for claims")
	b.waitText("unread")
	b.checkPage("inbox")
	b.button("Mark all read")
	b.waitText("Nothing unread.")
	// Accesses switched off leave the list, and come back.
	b.click(`//label[contains(., 'Someone read, or tried to read')]/input`)
	b.noText("acme/adjuster read your record rec-ana-1 for claims")
	b.click(`//label[contains(., 'Someone read, or tried to read')]/input`)
	b.waitText("acme/adjuster read your record rec-ana-1 for claims")
	b.phone()
	b.visit("/inbox")
	b.waitText("Tell me about")
	b.checkPage("inbox on a phone")
	b.desktop()
	errs.none(t)
}
