package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestHospitalStaff: a records clerk registers a record (a FHIR JSON file,
// sealed by the portal for the hospital's node), requests a consent and
// files a claim; a physician breaks the glass on the new record after a
// confirmation and reads it; the privacy officer reviews the access.
func TestHospitalStaff(t *testing.T) {
	s := need(t)
	b := newBrowser(t, s)
	b.signIn("stmarys/clerk")
	b.visit("/staff")
	fhir := filepath.Join(t.TempDir(), "observation.json")
	observation := `{"resourceType":"Observation","status":"final","code":{"text":"e2e heart rate"},"valueQuantity":{"value":72,"unit":"/min"}}`
	if err := os.WriteFile(fhir, []byte(observation), 0o600); err != nil {
		t.Fatal(err)
	}
	b.fill("record-id", "rec-ben-e2e")
	b.fill("record-patient", "stmarys/patient-ben")
	b.choose("record-category", "lab")
	b.upload("record-file", fhir)
	b.waitText(fmt.Sprintf("observation.json: %d bytes", len(observation)))
	b.button("Register record")
	b.waitText("Record rec-ben-e2e is registered")

	b.fill("req-patient", "stmarys/patient-ana")
	b.fill("req-records", "rec-ana-1")
	b.choose("req-purpose", "care-coordination")
	b.button("Request consent")
	b.waitText("is requested; it waits for the patient.")

	b.fill("claim-patient", "stmarys/patient-ben")
	b.fill("item-code-0", "99214")
	b.fill("item-date-0", "11102026")
	b.fill("item-amount-0", "80")
	b.button("File claim")
	b.waitText("for €80.00 is filed with acme.")
	b.waitText("Claims we filed")
	b.shot("staff-clerk")

	b.switchRole("stmarys/dr-lee")
	b.waitText("Break the glass")
	b.fill("bg-record", "rec-ben-e2e")
	b.choose("bg-reason", "life-threatening")
	b.click(`//button[normalize-space(.)='Break the glass']`)
	b.waitText("Confirm: read rec-ben-e2e without the patient's consent")
	b.button("Yes, break the glass")
	b.waitText("Emergency access to rec-ben-e2e is recorded")
	b.waitText("e2e heart rate")

	b.switchRole("stmarys/privacy")
	b.waitText("Break-glass review")
	card := `//li[contains(@class,'card')][.//h3[contains(., 'stmarys/dr-lee read rec-ben-e2e')]]`
	b.click(card + `//button[normalize-space(.)='Close review']`)
	b.waitText("Reviewed by stmarys/privacy: justified")
	b.shot("staff-privacy")

	// The patient accepts the clerk's request.
	b.switchRole("stmarys/patient-ana")
	b.waitText("My consents")
	request := `//li[contains(@class,'card')][.//h3[contains(., 'care-coordination')]][contains(., 'requested by stmarys/clerk')]`
	b.click(request + `//button[normalize-space(.)='Accept']`)
	b.waitText("You accepted the request.")
	b.poll(`[...document.querySelectorAll('li.card')].some(c => c.innerText.includes('requested by stmarys/clerk') && c.innerText.includes('active'))`, "the request shown active")
}
