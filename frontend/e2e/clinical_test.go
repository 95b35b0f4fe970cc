package e2e_test

import (
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
)

// TestClinical: a physician picks a patient (no typed ids) and reads a
// record under the consent the patient gave the hospital (found, not
// typed), seeing a summary of the FHIR bundle with the raw JSON behind a
// toggle; breaks the glass in one tap from the top of the page, with a
// written note, and reads the emergency summary (allergies, medications,
// problems, encounters). The privacy officer's queue shows what was read,
// by whom and why, with no outcome chosen in advance; a review without an
// outcome is marked beside the choice; the physician's note comes from the
// hospital's nodes (nothing is kept in the browser), checked against its
// fingerprint on the ledger, and so does the review note. The
// privacy officer's page shows nothing the role may not see.
func TestClinical(t *testing.T) {
	_, b, _ := journeyAs(t, "stmarys/dr-lee", "/staff")
	b.waitText("Choose a patient to see their records and consents.")
	b.checkPage("staff: patients")
	// Members and organisations by name, not by id.
	noneInMain(b, "stmarys/", "acme/")
	b.choose("patient", "stmarys/patient-ben")
	recordsOf(b, "stmarys/patient-ben", "")
	b.waitText("Consent for treatment until")
	b.button("Read under consent")
	b.waitText("under the patient’s consent for treatment")
	b.waitText("Problems")
	b.waitText("Recent encounters")
	b.waitText("Raw FHIR JSON of rec-ben-1")
	// The raw JSON is behind the toggle.
	b.poll(`!document.querySelector('details.raw').open`, "the raw JSON closed")
	b.checkPage("staff: read under consent")

	// One tap from the top of the page.
	b.click(`//header[contains(@class,'page-head')]//a[normalize-space(.)='Break the glass (emergency)']`)
	b.waitText("Emergency access (break the glass)")
	b.choose("bg-patient", "stmarys/patient-ana")
	b.poll(`document.querySelector('[name="bg-record"]').value === 'rec-ana-1'`, "the full record chosen by default")
	b.click(`//button[normalize-space(.)='Break the glass']`)
	b.waitText("Choose the emergency.")
	b.choose("bg-reason", "life-threatening")
	b.fill("bg-note", "e2e: collapsed in the waiting room, no ID")
	b.click(`//button[normalize-space(.)='Break the glass']`)
	ana := pickedName(b, "bg-patient")
	b.waitText("Confirm: read the health record (all of it) of " + ana + " without the patient's consent because of “Life-threatening condition”?")
	b.button("Yes, break the glass")
	b.waitText("Emergency access to the health record (all of it) of " + ana + " is recorded")
	b.waitText("Your note has reached the privacy officer.")
	b.waitText("Emergency summary")
	for _, part := range []string{"Allergies", "Medications", "Problems", "Recent encounters"} {
		b.waitText(part)
	}
	b.checkPage("staff: emergency summary")
	b.shot("staff-emergency")

	// Nothing of the note stays in this browser: the privacy officer reads
	// it from the hospital's nodes.
	b.eval(`(localStorage.clear(), sessionStorage.clear(), 'cleared')`)
	b.switchRole("stmarys/privacy")
	b.waitText("Break-glass review")
	b.noText("only the staff of")
	b.checkPage("staff: privacy officer")
	noneInMain(b, "stmarys/", "citygen/")
	card := `//li[contains(@class,'bg-card')][contains(., 'rec-ana-1')][.//button[normalize-space(.)='Close review']]`
	b.waitText("Life-threatening condition")
	b.waitText("“e2e: collapsed in the waiting room, no ID” (matches the fingerprint on the ledger)") // from the custodian's nodes
	b.waitText("Physician")
	if got := b.eval(`String([...document.querySelectorAll('li.bg-card input[type=radio]')].some(r => r.checked))`); got != "false" {
		t.Errorf("an outcome is chosen before the privacy officer chose one")
	}
	b.click(card + `//button[normalize-space(.)='Close review']`)
	b.waitText("Choose the outcome of your review.")
	b.click(card + `//input[@type='radio'][@value='referred']`)
	b.eval(`(() => { const t = [...document.querySelectorAll('li.bg-card')].find(c => c.innerText.includes('rec-ana-1') && c.querySelector('textarea')).querySelector('textarea'); t.focus(); return t.name; })()`)
	name := b.eval(`document.activeElement.name`)
	b.fill(name, "e2e: asked dr-lee for the triage sheet")
	b.click(card + `//button[normalize-space(.)='Close review']`)
	b.waitText("Review closed: referred for investigation; your note stays off the ledger")
	b.waitText("“e2e: asked dr-lee for the triage sheet” (matches the fingerprint on the ledger)")
	b.shot("staff-privacy")
}

// TestNoteSentAgain: a break-glass note the custodian's node does not get
// (its note endpoint unreachable) is not lost: the physician reads that it
// has not reached the privacy officer and why, sends it again once the
// node answers, and the privacy officer reads it, matching its
// fingerprint on the ledger.
func TestNoteSentAgain(t *testing.T) {
	s, b, _ := journeyAs(t, "stmarys/dr-lee", "/staff")
	b.click(`//header[contains(@class,'page-head')]//a[normalize-space(.)='Break the glass (emergency)']`)
	b.waitText("Emergency access (break the glass)")
	b.choose("bg-patient", "stmarys/patient-ben")
	b.poll(`document.querySelector('[name="bg-record"]').value !== ''`, "a record chosen by default")
	b.choose("bg-reason", "life-threatening")
	const note = "e2e: arrived by ambulance, not responsive; the note is sent twice"
	b.fill("bg-note", note)
	s.faults.notesDown.Store(true)
	defer s.faults.notesDown.Store(false)
	b.click(`//button[normalize-space(.)='Break the glass']`)
	b.button("Yes, break the glass")
	b.waitText("Your note has not reached the privacy officer. The custodian's nodes could not be reached, " +
		"so the note is not delivered yet; send it again.")
	b.noText("Your note has reached the privacy officer.")
	b.noText("sendAccessNote") // the API's name, not for people
	b.checkPage("staff: a note not delivered")
	// Still unreachable: the failure is said, and the note stays offered.
	b.button("Send the note again")
	b.waitText("Not reachable right now")
	s.faults.notesDown.Store(false)
	b.button("Send the note again")
	b.waitText("Your note has reached the privacy officer.")
	b.noText("Your note has not reached the privacy officer.")

	b.switchRole("stmarys/privacy")
	b.waitText("Break-glass review")
	b.waitText("“" + note + "” (matches the fingerprint on the ledger)")
	// A note not delivered is an answer, not a failed request.
}

// TestPlainMessages: a refusal reads as a short reason in words, never the
// policy's text: a physician whose consent the patient has just revoked
// reads that the record needs the patient's active consent (the refusal
// is on the ledger); a member who may not see a page reads who may, with
// organisations by name; administrators can open the original message
// behind Details, others cannot.
func TestPlainMessages(t *testing.T) {
	s, b, errs := journeyAs(t, "stmarys/dr-lee", "/staff")
	b.choose("patient", "stmarys/patient-ben")
	b.waitText("Read under consent")
	// The patient revokes the consent while the page shows it.
	s.send(t, "stmarys/patient-ben", "consent", "revoke", tx.String("consent_id", "ben-stmarys-treatment"))
	b.button("Read under consent")
	b.waitText("Refused:")
	b.waitText("You may not read this record: it needs the patient's active consent for this purpose")
	b.waitText("The refusal is recorded on the ledger.")
	b.plainWords("staff: a refused read")
	b.noText("Details")
	b.checkPage("staff: a refused read")

	b.switchRole("healthreg/validator")
	b.visit("/claims")
	b.waitText("Not allowed:")
	b.waitText("Only the adjusters of Health Regulator or an auditor may read its claims")
	b.noText("Details")
	b.checkPage("claims: not allowed")

	b.switchRole("acme/admin")
	b.visit("/claims")
	b.waitText("Only the adjusters of Acme Health Insurance or an auditor may read its claims")
	b.click(`//details[contains(@class,'why')]/summary`)
	b.waitText("only the adjusters of acme or an auditor may read its claims")
	b.accessible("claims: details for an admin")
	// The refused requests are answered 4xx, which the browser logs; nothing else may be.
	for _, e := range errs.take() {
		if !strings.Contains(e, "/graphql") || !strings.Contains(e, "status of 4") {
			t.Errorf("console error: %s", e)
		}
	}
}
