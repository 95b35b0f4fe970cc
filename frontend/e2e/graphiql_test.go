package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// openGraphiQL opens /graphiql (the built GraphiQL, not the fallback
// console) on query and waits until its editor shows field, a word of it.
func (b *browser) openGraphiQL(query, field string) {
	b.t.Helper()
	b.do("open /graphiql", chromedp.Navigate(b.s.url+"/graphiql?query="+url.QueryEscape(query)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")))
	b.poll(fmt.Sprintf(`(document.querySelector('.graphiql-query-editor')?.innerText ?? '').includes(%q)`, field), "the query in GraphiQL's editor")
}

// TestGraphiQL: /graphiql is GraphiQL on the web app's session: signed
// in, a query typed in (through ?query=) runs with the Run button and its
// result shows in the response pane; the page has the portal's CSP, with
// inline styles only, and nothing on the page breaks it. A subscription
// runs over the WebSocket.
func TestGraphiQL(t *testing.T) {
	s := need(t)
	r, err := http.Get(s.url + "/graphiql")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("/graphiql CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src 'self' 'unsafe") || strings.Contains(csp, "*") || strings.Contains(csp, "http") {
		t.Errorf("/graphiql CSP %q allows inline scripts or other origins", csp)
	}

	b := newBrowser(t, s)
	// Every page of the browser records the CSP violations it sees.
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`}); err != nil {
		t.Fatal(err)
	}
	b.signIn("healthreg/auditor")
	b.openGraphiQL("{ nodeStatus { height } }", "nodeStatus")
	b.click(`//button[contains(@class,'graphiql-execute-button')]`)
	b.poll(`(() => { const t = document.querySelector('.graphiql-response')?.innerText ?? ''; return t.includes('"height"') && t.includes('"nodeStatus"'); })()`,
		"the result in GraphiQL's response pane")
	if got := b.eval(`document.querySelector('.graphiql-response').innerText`); strings.Contains(got, `"errors"`) {
		t.Errorf("the query answered errors:\n%s", got)
	}
	b.shot("graphiql")

	// A subscription runs over graphql-transport-ws on /graphql.
	b.openGraphiQL(`subscription { claimStatus(claimId: "clm-approved") { status } }`, "claimStatus")
	b.click(`//button[contains(@class,'graphiql-execute-button')]`)
	b.poll(`(document.querySelector('.graphiql-response')?.innerText ?? '').includes('"claimStatus"')`, "the claim's status in GraphiQL's response pane")
	b.click(`//button[contains(@class,'graphiql-execute-button')]`) // stop
	ws := 0
	b.mu.Lock()
	for _, r := range b.reqs {
		if strings.HasPrefix(r, "ws://") && strings.HasSuffix(r, "/graphql") {
			ws++
		}
	}
	b.mu.Unlock()
	if ws == 0 {
		t.Error("GraphiQL's subscription opened no WebSocket to /graphql")
	}
	if v := b.eval(`JSON.stringify(window.cspViolations)`); v != "[]" {
		t.Errorf("GraphiQL broke the page's CSP: %s", v)
	}
}
