package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/tx"
)

// TestPatient: a patient sees her records' metadata, her consents and who
// read her data (names, roles, reasons in words: a refusal says why
// without the policy's text), each in its tab; grants a consent and
// revokes it after a confirmation; and is alerted live, on any tab, when a
// physician breaks the glass on one of her records.
func TestPatient(t *testing.T) {
	s, b, _ := journeyAs(t, "stmarys/patient-ana", "/patient")
	b.waitText("rec-ana-1")
	b.waitText("St Mary's Hospital")
	b.checkPage("patient: records")
	// Organisations by name, not by id.
	noneInMain(b, "stmarys/", "acme/")
	b.button("Consents")
	b.waitText("ana-acme-claims")
	b.waitText("Acme Health Insurance · Insurance claims")
	b.checkPage("patient: consents")
	b.button("Who read my data")
	b.waitText("Insurance claims under your consent ana-acme-claims")
	b.waitText("Claims adjuster")
	b.waitText("Alerts appear here as accesses commit.")
	b.checkPage("patient: access log")
	noneInMain(b, "stmarys/", "acme/", "healthreg/")

	b.button("Consents")
	// What is missing is said beside its field.
	b.button("Grant")
	b.waitText("Choose who may read.")
	b.waitText("Choose at least one record.")
	b.poll(`document.querySelector('[name="grantee"]').getAttribute('aria-invalid') === 'true'`, "the grantee marked invalid")
	b.choose("grantee", "healthreg")
	b.choose("purpose", "research")
	b.click(`//input[@type='checkbox'][@value='rec-ana-2']`)
	b.button("Grant")
	b.waitText("Health Regulator may now read the chosen records for research, until")
	b.waitText("Health Regulator · Research")
	b.click(`//li[.//h3[contains(., 'Health Regulator · Research')]]//button[normalize-space(.)='Revoke']`)
	b.button("Yes, revoke")
	b.waitText("The consent is revoked.")
	b.waitText("Health Regulator · Research Ended or revoked")

	// A physician's consent request appears while the page is open.
	now := time.Now()
	s.send(t, "stmarys/dr-lee", "consent", "request", tx.String("consent_id", "e2e-lee-followup"), tx.String("patient", "stmarys/patient-ana"),
		tx.String("purpose", "treatment"), tx.Strings("records", []string{"rec-ana-1"}), tx.Int("start", now.Add(-time.Minute).Unix()),
		tx.Int("end", now.Add(30*24*time.Hour).Unix()))
	b.waitText("requested by dr-lee")

	// A refused read: the patient reads why in words.
	s.send(t, "acme/adjuster", "record", "access", tx.String("record_id", "rec-ana-2"), tx.String("purpose", "research"))
	b.waitText("Refused access:")
	b.waitText("Refused: there was no active consent from you that covers this record and purpose.")
	b.button("Records")
	s.send(t, "stmarys/dr-lee", "record", "access", tx.String("record_id", "rec-ana-1"), tx.String("purpose", "treatment"),
		tx.String("break_glass", "unconscious-patient"))
	b.waitText("Emergency (break-glass) access:")
	b.waitText("read your health record (all of it) for treatment")
	b.waitText("emergency: Patient unconscious")
	// The alert names the record by its category, its id on hover.
	const alerts = `[aria-label="New access alerts"]`
	if alert := b.eval(`document.querySelector('` + alerts + `').innerText`); strings.Contains(alert, "rec-ana-1") ||
		strings.Contains(alert, "unconscious-patient") || strings.Contains(alert, "stmarys/") {
		t.Errorf("the alert shows ids or codes: %s", alert)
	}
	if title := b.eval(`document.querySelector('` + alerts + ` span.record').title`); title != "rec-ana-1" {
		t.Errorf("the alert's record on hover: %q", title)
	}
	b.plainWords("patient: alerts")
	b.shot("patient")

	b.click(`//tr[td[1][normalize-space(.)='rec-ana-2']]//button[normalize-space(.)='Erase…']`)
	b.waitText("Erasing cannot be undone.")
	b.fill("erase-rec-ana-2", "rec-ana-2")
	b.button("Erase rec-ana-2")
	b.poll(`[...document.querySelectorAll('tr')].some(r => r.cells[0] && r.cells[0].innerText === 'rec-ana-2' && r.innerText.includes('erased'))`, "rec-ana-2 shown erased")
	b.button("Who read my data")
	b.noText("policy denies")
	b.plainWords("patient: access log with a refusal")
}

// TestAdmin: a consortium admin sees the node's status (live) and the
// members of each organisation, searchable, adds a member to their organisation,
// and walks the explorer from the newest block to a transaction's events,
// with new blocks appearing live.
func TestAdmin(t *testing.T) {
	s, b, _ := journeyByMenu(t, "acme/admin")
	b.waitText("Node status")
	b.waitText("Leader")
	b.waitText("Live: refreshes as blocks commit")
	b.checkPage("admin: node status")
	// grows commits a block (a break-glass read of Ben's record) and waits
	// until the number the page shows at js is larger than before it.
	grows := func(js, what string) {
		t.Helper()
		before := b.eval(js)
		s.send(t, "stmarys/dr-lee", "record", "access", tx.String("record_id", "rec-ben-1"), tx.String("purpose", "treatment"),
			tx.String("break_glass", "urgent-treatment"))
		b.poll(`Number(`+js+`) > `+before, what)
	}
	grows(`document.querySelector('dd.height').innerText`, "the height updated live")
	b.button("Members")
	b.waitText("St Mary's Hospital")
	b.waitText("acme/adjuster")
	b.fill("members-search", "adj")
	b.waitText("1 of ")
	b.clear("members-search")
	b.checkPage("admin: members")
	b.fill("new-member-acme", "adjuster-e2e")
	b.choose("new-member-role-acme", "claims_adjuster")
	b.button("Add member")
	b.waitText("acme/adjuster-e2e is added")
	b.waitText("Initial password (shown once)")
	b.shot("admin")
	// A member's roles: none left is marked beside the group, before anything is sent.
	b.fill("members-search", "adjuster-e2e")
	member := `//ul[contains(@class,'members')]/li[.//strong[normalize-space(.)='acme/adjuster-e2e']]`
	b.clickUntil(member+`//button[normalize-space(.)='Roles']`, `!!document.evaluate("`+member+`//fieldset", document, null,
		XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue`, "the roles of acme/adjuster-e2e")
	b.click(member + `//label[normalize-space(.)='Claims adjuster']/input[@type='checkbox']`)
	b.click(member + `//button[@type='submit'][normalize-space(.)='Save roles']`)
	b.waitText("A member needs at least one role.")
	b.poll(`(f => !!f && document.getElementById(f.getAttribute('aria-describedby')).innerText.includes('A member needs at least one role.'))(
		[...document.querySelectorAll('ul.members fieldset')].find(f => f.innerText.includes('acme/adjuster-e2e')))`, "the roles group described by its error")
	b.checkPage("admin: a member's roles")
	b.clear("members-search")

	b.visit("/explorer")
	b.waitText("New blocks appear as they commit.")
	b.click(`//table//tbody/tr[1]/td[1]/a`)
	b.waitText("Transaction root")
	// The transaction by its label and its sender by name: the contract's method and the ids only on hover.
	b.waitText("Member added by admin, Acme Health Insurance")
	noneInMain(b, "identity.add_member", "acme/admin")
	b.click(`//main//ul/li[1]/a`)
	b.waitText("Events")
	b.waitText("Member added")
	b.waitText("adjuster-e2e, Acme Health Insurance")
	b.waitText("Claims adjuster")
	noneInMain(b, "identity.", "acme/adjuster-e2e")
	b.plainWords("explorer: adding a member")
	b.visit("/explorer")
	b.waitText("New blocks appear as they commit.")
	grows(`document.querySelector('table tbody tr td a').textContent`, "a new block at the top")
	b.shot("explorer")
}

// TestInitialPassword: a member an admin enrolled signs in with the
// initial password and is asked for their own before anything else; the
// app then works for them.
func TestInitialPassword(t *testing.T) {
	s := need(t)
	var out struct {
		CreateMember struct{ InitialPassword string }
	}
	s.client(t, "stmarys/admin").do(`mutation { createMember(id: "stmarys/nurse-e2e", roles: ["records_clerk"]) { initialPassword } }`,
		nil, &out)
	pw := out.CreateMember.InitialPassword
	if pw == "" {
		t.Fatal("no initial password")
	}
	b := newBrowser(t, s)
	b.submitSignIn("stmarys/nurse-e2e", pw)
	b.waitText("Choose your own password")
	b.noText("Something went wrong")
	b.shot("initial-password")
	b.fill("current", pw)
	b.fill("new", "the nurse's own passphrase")
	b.fill("again", "the nurse's own passphrase")
	b.button("Save the new password")
	b.signedIn("signed in with the new password", "stmarys/nurse-e2e")
	b.noText("Choose your own password")
}
