package e2e_test

import (
	"testing"
)

// TestInsurer: an adjuster, signed in with the demo role switcher, works
// the claims queue (counts per status, age, status filters, search and
// sort), opens a submitted claim, takes it into review (the confirmation
// stays while the claim moves on), opens its itemised document with one
// button (the portal finds the patient's consent; no adjudication form
// before that), adjudicates its item beside its service code and
// description with the reason chosen by its label, sees the running
// totals and confirms them before anything is committed, and marks it
// paid, the missing reference marked beside its field; the claim page
// follows each step live and shows names, not ids.
func TestInsurer(t *testing.T) {
	_, b, _ := journeyByMenu(t, "acme/adjuster")
	b.waitText("Claims queue")
	// The queue opens on what waits for the insurer, with counts per status.
	b.poll(`[...document.querySelectorAll('button.chip')].some(c => /^To do \d+$/.test(c.innerText.trim()) && c.getAttribute('aria-pressed') === 'true')`, "the to-do chip with its count, chosen")
	b.waitText("clm-submitted")
	b.noText("clm-partial-paid")
	b.waitText("St Mary's Hospital")
	b.checkPage("claims queue")
	// Providers by name, not by id (the patient's id is the insurer's to see).
	noneInMain(b, "stmarys/dr", "stmarys/clerk")
	b.click(`//button[contains(@class,'chip')][starts-with(normalize-space(.), 'All')]`)
	b.waitText("clm-partial-paid")
	b.click(`//button[contains(@class,'chip')][starts-with(normalize-space(.), 'Submitted')]`)
	b.waitText("clm-submitted")
	b.noText("clm-partial-paid")
	b.click(`//button[contains(@class,'chip')][starts-with(normalize-space(.), 'All')]`)
	b.fill("search", "patient-ben")
	b.waitText("clm-in-review")
	b.noText("clm-submitted")
	b.clear("search")
	b.choose("sort", "amount-desc")
	b.poll(`document.querySelector('table tbody tr td a').innerText === 'clm-partial-paid'`, "the largest claim first")
	b.shot("insurer-queue")

	b.choose("sort", "oldest")
	b.button("clm-submitted")
	b.waitText("Live: updates as blocks commit")
	b.waitText("Acme Health Insurance")
	b.button("Take into review")
	b.waitText("Claim clm-submitted is in review.")
	b.waitText("Open the itemised document first")
	b.noText("Adjudicate item by item")
	b.button("Open the itemised document")
	b.waitText("The document matches the claim on the ledger.")
	b.waitText("Opened under the patient’s consent; the access is on the ledger")
	b.waitText("Adjudicate item by item")
	// Both confirmations stay, though the review form is gone.
	b.waitText("Claim clm-submitted is in review.")
	// The service code and its description, from the decrypted FHIR Claim, beside the inputs.
	b.poll(`[...document.querySelectorAll('tr')].some(r => r.querySelector('input[name="approved-1"]') && r.innerText.includes('99213') && r.innerText.includes('Office visit'))`,
		"the service code and its description beside the adjudication input")
	// Its date as a date in the viewer's locale, not FHIR's ISO text.
	b.poll(`(d => d.length > 0 && d.every(c => c.innerText !== '—' && !/^\d{4}-\d{2}-\d{2}$/.test(c.innerText.trim())))([...document.querySelectorAll('td[data-label="Date"]')])`,
		"the items' dates formatted")
	b.fill("approved-1", "100")
	b.waitText("€100.00")
	b.button("Record adjudication")
	b.waitText("Choose why it is not approved in full.")
	b.poll(`[...document.querySelectorAll('select[name="reason-1"] option')].some(o => o.value === 'contractual-adjustment' && o.text === 'Contractual adjustment')`, "reasons by label")
	b.choose("reason-1", "contractual-adjustment")
	b.poll(`document.querySelector('.totals').innerText.includes('€50.00')`, "the patient's share in the running totals")
	b.button("Record adjudication")
	b.waitText("Record on the ledger: partially approved, €100.00 of €150.00 approved")
	b.checkPage("claim: confirm the adjudication")
	b.button("Yes, record the adjudication")
	b.waitText("Adjudication of clm-submitted recorded: partially approved")
	b.waitText("Mark paid")
	b.click(`//form//button[@type='submit'][normalize-space(.)='Mark paid']`)
	b.waitText("Enter the bank transfer’s reference.")
	b.poll(`document.querySelector('[name="paymentRef"]').getAttribute('aria-invalid') === 'true'`, "the reference marked")
	b.fill("paymentRef", "ACME-PAY-E2E")
	b.click(`//form//button[@type='submit'][normalize-space(.)='Mark paid']`)
	b.waitText("(ACME-PAY-E2E)")
	b.shot("insurer-claim")
	b.waitText("Contractual adjustment")
	b.noText("contractual-adjustment")
	b.noText("Take into review")
	// Every confirmation is still there after the live updates, until dismissed.
	for _, c := range []string{"is in review.", "Adjudication of clm-submitted recorded", "Payment of €100.00 for clm-submitted recorded"} {
		b.waitText(c)
	}
	b.click(`//p[contains(@class,'done')][contains(., 'is in review.')]//button[normalize-space(.)='Dismiss']`)
	b.noText("Claim clm-submitted is in review.")
	b.checkPage("claim: paid")
	noneInMain(b, "acme/", "stmarys/clerk", "claim.adjudicate")
}
