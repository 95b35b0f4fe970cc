package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/almoner/almoner/consortium-node/tx"
)

// TestCampaignStates: a campaign whose every gift went back reads so in
// words, not as the ledger's "open", and offers no Give: the demo's winter
// coats drive (its only milestone missed its deadline, both gifts
// refunded) reads "Refunded in full"; a campaign cancelled after a gift
// reads "Cancelled: gifts refunded"; an open campaign with room still reads
// "Open for gifts" and offers the form. A gift typed wrong is marked beside
// its field.
func TestCampaignStates(t *testing.T) {
	s := need(t)
	deadline := time.Now().AddDate(0, 1, 0).Unix()
	s.send(t, "hope/officer", "donation", "create_campaign", tx.String("campaign_id", "e2e-cancelled"),
		tx.String("title", "E2E cancelled drive"), tx.String("currency", "EUR"),
		tx.Strings("milestones", []string{fmt.Sprintf("10000 healthreg/validator %d Blankets", deadline)}))
	s.send(t, "hope/officer", "donation", "open", tx.String("campaign_id", "e2e-cancelled"))
	s.send(t, "hope/donor-sam", "donation", "give", tx.String("campaign_id", "e2e-cancelled"), tx.Uint("amount", 4000))
	s.send(t, "hope/officer", "donation", "cancel", tx.String("campaign_id", "e2e-cancelled"))

	b := newBrowser(t, s)
	b.visit("/")
	card := func(title string) string {
		return fmt.Sprintf(`//li[contains(@class,'card')][.//h2[normalize-space(.)=%q]]`, title)
	}
	for title, state := range map[string]string{
		"Winter coats drive":         "Refunded in full",
		"E2E cancelled drive":        "Cancelled: gifts refunded",
		"Heart surgery for children": "Open for gifts",
	} {
		b.do(title+" reads "+state, chromedp.WaitVisible(chromedp.Search(card(title)+fmt.Sprintf(`//*[normalize-space(.)=%q]`, state))))
	}
	b.checkPage("campaigns: states in words")

	b.signIn("hope/donor-sam")
	for id, state := range map[string]string{
		"winter-coats":  "Refunded in full",
		"e2e-cancelled": "Cancelled: gifts refunded",
	} {
		b.visit("/campaigns/" + id)
		b.waitText(state)
		b.waitText("This campaign takes no gifts: " + strings.ToLower(state) + ".")
		if n := b.eval(`String(document.querySelectorAll('input[name=amount], #give-title').length)`); n != "0" {
			t.Fatalf("%s (%s) offers Give", id, state)
		}
		b.checkPage("campaign: " + state)
	}

	b.visit("/campaigns/heart-surgery-fund")
	b.waitText("Open for gifts")
	b.fill("amount", "12.345")
	b.click(`//form//button[@type='submit'][normalize-space(.)='Give']`)
	b.do("the amount marked", chromedp.WaitVisible(chromedp.Search(`//label[.//input[@name='amount'][@aria-invalid='true']]//*[contains(@class,'field-error')][contains(., 'An amount such as 25.00')]`)))
}
