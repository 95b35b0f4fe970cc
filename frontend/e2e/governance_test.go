package e2e_test

import (
	"testing"
)

// TestGovernance: an organisation admin proposes a new approval threshold;
// the proposal shows who approved and who is missing, organisations by
// name; admins of two other organisations approve it, switching with the
// role switcher, and it executes: the policy shows the new threshold. A
// policy change is made from the page with a readable diff (a rule
// removed, in words), and withdrawn by its proposer. Every other kind of
// proposal is offered.
func TestGovernance(t *testing.T) {
	_, b, _ := journeyByMenu(t, "acme/admin")
	b.visit("/admin?tab=governance")
	b.waitText("Make a proposal")
	for _, k := range []string{"ADD_ORG", "REMOVE_ORG", "ADD_NODE", "REMOVE_NODE", "CHANGE_POLICY", "SET_THRESHOLD"} {
		b.poll(`!!document.querySelector('select[name="proposal-kind"] option[value="`+k+`"]')`, "the proposal kind "+k)
	}
	b.checkPage("admin: proposals")
	// A node to remove is chosen from the consortium's nodes, by organisation.
	b.choose("proposal-kind", "REMOVE_NODE")
	b.poll(`[...document.querySelectorAll('select[name="remove-node"] option')].some(o => o.value && /^[^,]+, [A-Z].* \(raft id \d+\)$/.test(o.textContent))`,
		"the nodes with their organisations' names")
	b.button("Propose")
	b.waitText("Choose the node to remove.")
	b.choose("proposal-kind", "SET_THRESHOLD")
	b.fill("threshold", "66")
	b.button("Propose")
	b.waitText("The proposal to set the threshold to 66% is open for votes.")
	card := `//li[contains(@class,'card')][.//h3[contains(., '66')]]`
	b.poll(`[...document.querySelectorAll('li.card')].some(c => c.innerText.includes('66') && /Missing: .*Hope Foundation/.test(c.innerText))`, "the open proposal with Hope Foundation missing")

	// An organisation to add: its fields are checked beside them.
	b.choose("proposal-kind", "ADD_ORG")
	b.fill("org-id", "e2e-clinic")
	b.button("Propose")
	b.waitText("The organisation’s name as people know it.")
	b.waitText("The admin’s public signing key")

	// A policy change with its diff in words.
	b.choose("proposal-kind", "CHANGE_POLICY")
	b.fill("rule-search", "auditor,*,report")
	b.click(`//input[@type='checkbox'][@value='auditor,*,report,read,any,allow']`)
	b.waitText("The change, in words")
	b.poll(`[...document.querySelectorAll('.diff li.del')].some(l => l.innerText.includes('Allow auditors to read reports.'))`, "the removed rule in words")
	b.checkPage("admin: policy change")
	b.button("Propose")
	b.waitText("The policy change (0 added, 1 removed) is open for votes.")
	policyCard := `//li[contains(@class,'card')][.//ul[contains(@class,'diff')]][.//button[normalize-space(.)='Withdraw']]`
	b.click(policyCard + `//button[normalize-space(.)='Withdraw']`)
	b.waitText("You withdrew")

	b.switchRole("hope/admin")
	b.visit("/admin?tab=governance")
	b.waitText("Proposals")
	b.clickUntil(card+`//button[normalize-space(.)='Approve']`, `document.body.innerText.includes("Your organisation approved")`,
		"Hope's approval")
	b.poll(`[...document.querySelectorAll('li.card')].some(c => c.innerText.includes('66') && /Approved by: .*Hope Foundation/.test(c.innerText))`, "hope's approval shown")
	b.switchRole("stmarys/admin")
	b.visit("/admin?tab=governance")
	b.waitText("Proposals")
	b.clickUntil(card+`//button[normalize-space(.)='Approve']`, `document.body.innerText.includes("Your organisation approved")`,
		"St Mary's approval")
	b.poll(`[...document.querySelectorAll('li.card')].some(c => c.innerText.includes('66') && c.innerText.includes('executed'))`, "the proposal executed")
	b.visit("/admin?tab=policy")
	b.waitText("more than 66%")
	b.waitText("Allow auditors to read reports.")
	b.waitText("Allow auditors to read emergency (break-glass) accesses.")
	b.waitText("Allow members to report undelivered accesses (their own).")
	b.waitText("Allow organisation admins to read policies.")
	b.noText("accesss")
	b.checkPage("admin: policy")
	b.shot("governance")
}
