package e2e_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCharity: a charity officer creates a campaign with a milestone and
// opens it; after a gift, submits the milestone's evidence (a file, hashed
// in the browser); the validator, switched to with the demo role switcher,
// approves it; the officer disburses it to the hospital and downloads the
// report as CSV.
func TestCharity(t *testing.T) {
	s := need(t)
	b := newBrowser(t, s)
	b.signIn("hope/officer")
	b.visit("/charity")
	b.waitText("Campaigns of Hope Foundation")
	b.waitText("Income")
	b.waitText("Heart surgery for children")
	b.checkPage("charity: officer")

	b.fill("campaign-id", "e2e-coats")
	b.fill("campaign-title", "E2E coats")
	b.fill("ms-title-0", "Buy coats")
	b.fill("ms-amount-0", "100")
	b.fill("ms-deadline-0", time.Now().AddDate(0, 2, 0).Format("01022006")) // typed as the date field's mm/dd/yyyy
	b.button("Create campaign")
	b.waitText("Campaign e2e-coats is created as a draft")
	section := `//section[.//h2[contains(., 'E2E coats')]]`
	b.click(section + `//button[normalize-space(.)='Open for gifts']`)
	b.waitText("E2E coats open")

	donor := s.client(t, "hope/donor-sam")
	donor.tx(`mutation($wait: Boolean) { give(campaign: "e2e-coats", amount: 10000, wait: $wait) { id receipt { status error } } }`, map[string]any{})
	b.visit("/charity")
	b.click(section + `//button[normalize-space(.)='Submit evidence']`)
	evidence := filepath.Join(t.TempDir(), "invoice.txt")
	invoice := []byte("coat supplier invoice 42\n")
	if err := os.WriteFile(evidence, invoice, 0o600); err != nil {
		t.Fatal(err)
	}
	b.upload("evidence-file-1", evidence)
	// SHA-256 of the file, computed in the page.
	sum := sha256.Sum256(invoice)
	b.poll(fmt.Sprintf(`document.querySelector('[name=evidence-1]').value === %q`, hex.EncodeToString(sum[:])), "the evidence file's SHA-256")
	b.click(section + `//form//button[@type='submit'][normalize-space(.)='Submit evidence']`)
	b.waitText("The evidence is submitted to the validator.")

	b.switchRole("healthreg/validator")
	b.waitText("Milestones to validate")
	b.click(section + `//button[normalize-space(.)='Approve evidence']`)
	b.waitText("Milestone 1 is approved.")

	b.switchRole("hope/officer")
	b.waitText("Campaigns of Hope Foundation")
	b.click(section + `//button[normalize-space(.)='Disburse']`)
	b.fill("purpose-1", "Winter coats for the ward")
	b.fill("payref-1", "PAY-COATS-1")
	b.click(section + `//form//button[@type='submit'][normalize-space(.)='Disburse']`)
	b.waitText("€100.00 is disbursed to St Mary's Hospital.")
	b.waitText("E2E coats")
	name, csv := b.download("Download CSV (summary)")
	if !strings.HasSuffix(name, ".csv") || !strings.Contains(string(csv), "e2e-coats") || !strings.Contains(string(csv), ",EUR,100.00,") {
		t.Fatalf("the report %s lacks the new campaign's income:\n%s", name, csv)
	}
	b.shot("charity")
}
