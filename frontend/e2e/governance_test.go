package e2e_test

import (
	"testing"
)

// TestGovernance: an organisation admin proposes a new approval threshold;
// the proposal shows who approved and who is missing; admins of two other
// organisations approve it, switching with the role switcher, and it
// executes: the policy summary shows the new threshold.
func TestGovernance(t *testing.T) {
	s := need(t)
	b := newBrowser(t, s)
	b.visit("/")
	b.switchRole("acme/admin")
	b.waitText("Proposals")
	b.waitText("Policy in force at block")
	b.fill("threshold", "66")
	b.button("Propose")
	b.waitText("The proposal to set the threshold to 66% is open for votes.")
	card := `//li[contains(@class,'card')][.//h3[contains(., '66')]]`
	b.poll(`[...document.querySelectorAll('li.card')].some(c => c.innerText.includes('66') && c.innerText.includes('Missing: ') && c.innerText.includes('hope'))`, "the open proposal with hope missing")

	b.switchRole("hope/admin")
	b.waitText("Proposals")
	b.click(card + `//button[normalize-space(.)='Approve']`)
	b.waitText("Your organisation approved it.")
	b.poll(`[...document.querySelectorAll('li.card')].some(c => c.innerText.includes('66') && /Approved by: .*hope/.test(c.innerText))`, "hope's approval shown")
	b.switchRole("stmarys/admin")
	b.waitText("Proposals")
	b.click(card + `//button[normalize-space(.)='Approve']`)
	b.waitText("Your organisation approved it.")
	b.poll(`[...document.querySelectorAll('li.card')].some(c => c.innerText.includes('66') && c.innerText.includes('executed'))`, "the proposal executed")
	b.visit("/admin")
	b.waitText("more than 66%")
	b.shot("governance")
}
