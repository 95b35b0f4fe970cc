package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordsOf waits for the heading of a patient's records: the patient by
// name when name is given (by whatever name the hospital's records give
// otherwise: tests that read a record teach the portal that patient's
// name), the id on hover.
func recordsOf(b *browser, patient, name string) {
	b.t.Helper()
	b.poll(fmt.Sprintf(`[...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('Records of ' + %q) && h.querySelector('[title=%q]'))`,
		name, patient), "the records of "+patient)
}

// pickedName is the patient chosen in the picker select, as the page
// names them: their name where the hospital knows it (a record it read
// may be what first names them), else their member name.
func pickedName(b *browser, selectName string) string {
	b.t.Helper()
	o := b.eval(fmt.Sprintf(`(s => s.options[s.selectedIndex].textContent)(document.querySelector('select[name=%q]'))`, selectName))
	if i := strings.Index(o, " ("); i > 0 {
		return o[:i]
	}
	return o
}

// TestHospitalStaff: a records clerk, choosing the patient from a picker
// (no typed ids; patients by the names the hospital's own records give
// them), registers a record (a FHIR JSON file, sealed by the
// portal for the hospital's node), requests a consent on it and files a
// claim with the insurer chosen by name, the total shown as items are
// typed; missing fields are marked beside the fields; confirmations stay
// until dismissed. The patient accepts the request.
func TestHospitalStaff(t *testing.T) {
	_, b, _ := journeyAs(t, "stmarys/clerk", "/staff?tab=register")
	b.waitText("Register a record")
	b.checkPage("staff: register")

	// Nothing chosen: each problem beside its field.
	b.button("Register record")
	b.waitText("Choose the patient.")
	b.waitText("Choose the FHIR JSON file.")
	b.poll(`document.querySelector('[name="record-id"]').getAttribute('aria-invalid') === 'true'`, "the record id marked invalid")

	fhir := filepath.Join(t.TempDir(), "observation.json")
	// The hospital's record names its patient (FHIR Patient.name): the
	// portal keeps the name off the ledger and shows it to the staff.
	observation := `{"resourceType":"Bundle","type":"collection","entry":[` +
		`{"resource":{"resourceType":"Patient","id":"p-ben","name":[{"use":"official","given":["Benedict"],"family":"Okafor"}]}},` +
		`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"e2e heart rate"},"valueQuantity":{"value":72,"unit":"/min"}}}]}`
	if err := os.WriteFile(fhir, []byte(observation), 0o600); err != nil {
		t.Fatal(err)
	}
	b.fill("record-patient-search", "ben")
	b.choose("record-patient", "stmarys/patient-ben")
	b.fill("record-id", "rec-ben-e2e")
	b.choose("record-category", "lab")
	b.upload("record-file", fhir)
	b.waitText(fmt.Sprintf("observation.json: %d bytes", len(observation)))
	b.button("Register record")
	b.waitText("Record rec-ben-e2e (lab results) is registered for Benedict Okafor")
	b.noText("Choose the patient.")

	// The patient by name in the picker (found by name) and in the
	// heading of their records; the id on hover.
	b.button("Patients")
	b.fill("patient-search", "okafor")
	b.poll(`[...document.querySelectorAll('select[name=patient] option')].some(o => o.textContent === 'Benedict Okafor (patient-ben)')`,
		"the patient by name in the picker")
	b.choose("patient", "stmarys/patient-ben")
	recordsOf(b, "stmarys/patient-ben", "Benedict Okafor")
	b.checkPage("staff: a patient by name")
	b.shot("staff-patient-by-name")
	b.clear("patient-search")
	b.choose("patient", "stmarys/patient-ana")
	recordsOf(b, "stmarys/patient-ana", "")
	b.click(`//input[@type='checkbox'][@value='rec-ana-1']`)
	b.choose("req-purpose", "care-coordination")
	b.button("Request consent")
	b.waitText("Consent requested from " + pickedName(b, "patient") + " for care coordination; it waits for the patient.")

	b.button("File a claim")
	b.choose("claim-patient", "stmarys/patient-ben")
	b.waitText("Acme Health Insurance")
	b.fill("item-code-0", "99214")
	b.fill("item-date-0", "11102026")
	b.fill("item-amount-0", "80")
	b.waitText("Total: €80.00 for 1 item")
	b.button("File claim")
	b.waitText("for €80.00 is filed with Acme Health Insurance.")
	// The confirmations stay (the register and request ones too) until dismissed.
	b.waitText("Record rec-ben-e2e (lab results) is registered")
	b.click(`//p[contains(@class,'done')][contains(., 'is registered')]//button[normalize-space(.)='Dismiss']`)
	b.noText("Record rec-ben-e2e (lab results) is registered")
	b.button("Claims filed")
	b.waitText("Claims we filed")
	b.waitText("St Mary's Hospital")
	b.waitText("Benedict Okafor")
	b.checkPage("staff: claims filed")
	b.shot("staff-clerk")

	// A denied claim, appealed with the reason chosen by its label.
	b.button("clm-denied")
	b.waitText("Acme Health Insurance denied it")
	b.waitText("Not covered by the plan")
	b.button("Appeal")
	b.waitText("Choose why the claim should be decided again.")
	b.choose("appeal-reason", "coverage-dispute")
	b.button("Appeal")
	b.waitText("Claim clm-denied is appealed: coverage disputed.")
	b.poll(`[...document.querySelectorAll('.facts .badge')].some(x => x.innerText === 'appealed')`, "the claim shown appealed")
	b.checkPage("claim: appealed by the hospital")

	// The patient accepts the clerk's request.
	b.switchRole("stmarys/patient-ana")
	b.button("Consents (")
	b.waitText("My consents")
	request := `//li[contains(@class,'card')][.//h3[contains(., 'Care coordination')]][contains(., 'requested by clerk')]`
	b.click(request + `//button[normalize-space(.)='Accept']`)
	b.waitText("You accepted the request.")
	b.poll(`[...document.querySelectorAll('li.card')].some(c => c.innerText.includes('requested by clerk') && c.innerText.includes('Active'))`, "the request shown active")
}
