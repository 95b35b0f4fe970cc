package e2e_test

import (
	"testing"
)

// TestPhone: at 390 px every page of every role (and every tab of the
// long ones) fits the screen: no sideways scroll of the page nor of a
// table inside it (wide tables become one card per row); the menu is
// collapsed behind a Menu button that opens it; axe-core finds no serious
// or critical violation; no internal text and no console error.
func TestPhone(t *testing.T) {
	s, b, _ := journey(t)
	var g struct {
		MyGifts struct{ Nodes []struct{ ID string } }
	}
	s.client(t, "hope/donor-sam").do(`{ myGifts(first: 1, newestFirst: true) { nodes { id } } }`, nil, &g)
	if len(g.MyGifts.Nodes) == 0 {
		t.Fatal("the demo donor has no gifts")
	}
	gift := g.MyGifts.Nodes[0].ID
	roles := []struct {
		account string
		pages   []string
	}{
		{"acme/adjuster", []string{"/claims", "/claims/clm-partial-paid", "/claims/clm-appealed", "/inbox"}},
		{"stmarys/dr-lee", []string{"/staff", "/staff?tab=emergency", "/staff?tab=register", "/staff?tab=claim", "/staff?tab=claims"}},
		{"stmarys/privacy", []string{"/staff"}},
		{"stmarys/patient-ana", []string{"/patient", "/patient?tab=consents", "/patient?tab=log", "/patient?tab=claims", "/inbox"}},
		{"acme/admin", []string{"/admin", "/admin?tab=members", "/admin?tab=governance", "/admin?tab=policy",
			"/explorer", "/explorer/blocks/3", "/explorer/tx/" + gift, "/explorer/accounts/hope%2Fdonor-sam", "/explorer/accounts/stmarys"}},
		{"healthreg/auditor", []string{"/explorer/records/rec-ana-1"}},
		{"healthreg/auditor", []string{"/claims", "/staff", "/staff?tab=claims", "/charity"}},
		{"hope/officer", []string{"/charity", "/campaigns/heart-surgery-fund"}},
		{"healthreg/validator", []string{"/charity"}},
		{"hope/donor-sam", []string{"/", "/campaigns/heart-surgery-fund", "/gifts", "/gifts/" + gift, "/receipts/" + gift, "/verify",
			"/inbox", "/account/password"}},
	}
	for _, r := range roles {
		b.desktop()
		b.signIn(r.account)
		b.phone()
		for _, p := range r.pages {
			page := r.account + " " + p
			b.visit(p)
			b.checkPage(page)
			if w := b.eval(`[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth + 1).map(w => (w.querySelector('caption') || w).innerText.slice(0, 40) + ': ' + w.scrollWidth + 'px in ' + w.clientWidth).join('; ')`); w != "" {
				b.shot("wide-table-" + sanitize(page))
				t.Errorf("%s: a table scrolls sideways: %s", page, w)
			}
		}
		// The menu is collapsed; the button opens it.
		b.poll(`getComputedStyle(document.querySelector('#main-menu')).display === 'none'`, "the menu collapsed")
		b.button("Menu")
		b.poll(`getComputedStyle(document.querySelector('#main-menu')).display !== 'none' && document.querySelector('.menu-toggle').getAttribute('aria-expanded') === 'true'`, "the menu open")
		b.noSideways(r.account + " with the menu open")
		b.shot("phone-" + sanitize(r.account))
		b.desktop()
		b.visit("/")
		b.click(`//header//button[normalize-space(.)='Sign out']`)
		b.waitText("Sign in")
	}
	// Signed out: the sign-in page and the public ones.
	b.phone()
	for _, p := range []string{"/signin", "/verify", "/"} {
		b.visit(p)
		b.checkPage("anonymous " + p)
	}
	b.desktop()
}
