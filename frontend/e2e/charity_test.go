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

	"github.com/chromedp/chromedp"
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

	// Milestones are added and removed, one at least.
	b.noText("Remove the last milestone")
	b.button("Add a milestone")
	b.waitText("Milestone 2")
	b.button("Remove the last milestone")
	b.noText("Milestone 2")
	b.noText("Remove the last milestone")
	b.fill("campaign-id", "e2e-coats")
	b.fill("campaign-title", "E2E coats")
	b.fill("ms-title-0", "Buy coats")
	b.fill("ms-amount-0", "100")
	b.fill("ms-deadline-0", time.Now().AddDate(0, 2, 0).Format("01022006")) // typed as the date field's mm/dd/yyyy
	b.button("Create campaign")
	b.waitText("“E2E coats” is created as a draft of Hope Foundation; open it for gifts when ready.")
	// The campaign's own panel (the page is a section too); its table reflows as names load, so the buttons that open a
	// form are clicked until the form is there (clickUntil).
	section := `//section[contains(@class,'panel')][.//h2[contains(., 'E2E coats')]]`
	b.click(section + `//button[normalize-space(.)='Open for gifts']`)
	b.waitText("E2E coats Open for gifts")

	donor := s.client(t, "hope/donor-sam")
	donor.tx(`mutation($wait: Boolean) { give(campaign: "e2e-coats", amount: 10000, wait: $wait) { id receipt { status error } } }`, map[string]any{})
	b.visit("/charity")
	b.clickUntil(section+`//button[normalize-space(.)='Submit evidence']`, `!!document.querySelector('[name=evidence-file-1]')`,
		"the evidence form")
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
	checkValidatorTodos(t, b, s, "E2E coats", "e2e-coats", invoice)
	b.click(`//section[@aria-labelledby='todo-title']//li[.//h3[contains(., 'E2E coats')]]//button[normalize-space(.)='Approve evidence']`)
	b.waitText("Milestone 1 of E2E coats is approved.")
	b.noText("E2E coats: milestone 1")

	b.switchRole("hope/officer")
	b.waitText("Campaigns of Hope Foundation")
	b.clickUntil(section+`//button[normalize-space(.)='Disburse']`, `!!document.querySelector('[name=purpose-1]')`,
		"the disbursement form")
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

// checkValidatorTodos checks the validator's page: the milestones waiting
// for their decision come first, counted as the ledger counts them, the
// campaign's with its evidence fingerprint (shortened, whole on hover); the
// evidence file they received checks out in the browser and another file
// does not; the campaigns with nothing waiting are behind a toggle.
func checkValidatorTodos(t *testing.T, b *browser, s *stack, title, campaign string, evidence []byte) {
	t.Helper()
	var out struct {
		Campaigns struct {
			Nodes []struct {
				Title      string
				Milestones []struct{ Status, Validator string }
			}
		}
	}
	s.client(t, "healthreg/validator").do(`{ campaigns(first: 100) { nodes { title milestones { status validator } } } }`, nil, &out)
	waiting, others := 0, ""
	for _, c := range out.Campaigns.Nodes {
		mine := false
		for _, m := range c.Milestones {
			if m.Validator == "healthreg/validator" && m.Status == "EVIDENCE_SUBMITTED" {
				waiting++
				mine = true
			}
		}
		if !mine && others == "" {
			for _, m := range c.Milestones {
				if m.Validator == "healthreg/validator" {
					others = c.Title
				}
			}
		}
	}
	if waiting == 0 || others == "" {
		t.Fatalf("the ledger has %d milestones waiting for the validator and no other campaign of theirs (%q)", waiting, others)
	}
	todo := `//section[@aria-labelledby='todo-title']`
	item := todo + fmt.Sprintf(`//li[.//h3[contains(., %q)]]`, title)
	b.waitText(fmt.Sprintf("Waiting for your decision (%d)", waiting))
	if n := b.eval(`String(document.querySelectorAll("section[aria-labelledby=todo-title] li.card").length)`); n != fmt.Sprint(waiting) {
		t.Fatalf("the to-do list shows %s milestones, the ledger has %d waiting", n, waiting)
	}
	sum := sha256.Sum256(evidence)
	full := hex.EncodeToString(sum[:])
	code := item + fmt.Sprintf(`//code[@title=%q]`, full)
	b.do("the evidence fingerprint", chromedp.WaitVisible(chromedp.Search(code)))
	if got, want := b.eval(fmt.Sprintf(`document.evaluate(%q, document, null, XPathResult.STRING_TYPE, null).stringValue`, code)),
		full[:10]+"…"+full[60:]; got != want {
		t.Fatalf("the fingerprint reads %q, want %q", got, want)
	}
	b.noText(others)

	dir := t.TempDir()
	same := filepath.Join(dir, "received.pdf")
	forged := filepath.Join(dir, "forged.pdf")
	if err := os.WriteFile(same, evidence, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(forged, append([]byte("x"), evidence...), 0o600); err != nil {
		t.Fatal(err)
	}
	input := fmt.Sprintf("check-%s-1", campaign)
	b.upload(input, same)
	b.waitText("received.pdf matches the fingerprint on the ledger.")
	b.checkPage("charity: validator")
	// Campaigns and charities by name, not by id.
	noneInMain(b, "hope/", "healthreg/")
	b.shot("charity-validator")
	b.upload(input, forged)
	b.waitText("forged.pdf does NOT match the fingerprint on the ledger")
	b.noText("received.pdf matches")

	b.button("Show every campaign you validate")
	b.waitText(others)
	b.button("Hide every campaign you validate")
	b.noText(others)
}
