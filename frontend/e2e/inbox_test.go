package e2e_test

import (
	"strings"
	"testing"
)

// TestInbox: a patient's inbox tells, in words, who read her records (the
// demo's read by the insurer's adjuster: names and labels, no id or code
// in the text, the record's id on hover), marks them read, switches a
// kind off and on; on a phone it fits the screen and axe-core finds no
// serious violation.
func TestInbox(t *testing.T) {
	_, b, _ := journeyAs(t, "stmarys/patient-ana", "/inbox")
	b.waitText("Someone read, or tried to read, one of my records")
	const read = "adjuster of Acme Health Insurance read your health record (all of it) for insurance claims, " +
		"under your consent"
	b.waitText(read)
	b.waitText("unread")
	list := b.eval(`document.querySelector('ul.inbox').innerText`)
	for _, code := range []string{"rec-ana", "acme/", "stmarys/", "ana-acme-claims", "for claims", "_",
		"unconscious-patient"} {
		if strings.Contains(list, code) {
			t.Errorf("the inbox shows %q:\n%s", code, list)
		}
	}
	hover := `[...document.querySelectorAll('ul.inbox li div')].find(d => d.innerText === '` + read + `').title`
	if title := b.eval(hover); title != "rec-ana-1" {
		t.Errorf("the read's hover: %q, want the record's id", title)
	}
	b.checkPage("inbox")
	b.button("Mark all read")
	b.waitText("Nothing unread.")
	// Accesses switched off leave the list, and come back.
	b.click(`//label[contains(., 'Someone read, or tried to read')]/input`)
	b.noText(read)
	b.click(`//label[contains(., 'Someone read, or tried to read')]/input`)
	b.waitText(read)
	b.phone()
	b.visit("/inbox")
	b.waitText("Tell me about")
	b.checkPage("inbox on a phone")
	b.desktop()
}
