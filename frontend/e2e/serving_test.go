package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestServing: the portal serves the app at / and for client routes, its
// hashed assets with a long cache, and never shadows its own routes.
func TestServing(t *testing.T) {
	s := need(t)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		r, b := s.get(t, path, "")
		return r, string(b)
	}
	r, index := get("/")
	if r.StatusCode != http.StatusOK || !strings.Contains(index, `<div id="app">`) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/: %d %s\n%s", r.StatusCode, r.Header.Get("Content-Type"), index)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("/ lacks the portal's CSP: %q", csp)
	}
	for _, route := range []string{"/gifts/abc", "/claims/clm-submitted", "/explorer/blocks/3", "/no/such/page"} {
		if r, body := get(route); r.StatusCode != http.StatusOK || body != index {
			t.Errorf("%s: %d, want index.html", route, r.StatusCode)
		}
	}
	i := strings.Index(index, `src="/assets/`)
	if i < 0 {
		t.Fatalf("index.html names no script under /assets/:\n%s", index)
	}
	asset := index[i+len(`src="`):]
	asset = asset[:strings.IndexByte(asset, '"')]
	if r, body := get(asset); r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "javascript") ||
		!strings.Contains(r.Header.Get("Cache-Control"), "immutable") || len(body) < 1000 {
		t.Errorf("%s: %d %q %q (%d bytes)", asset, r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"), len(body))
	}
	for _, missing := range []string{"/assets/missing.js", "/favicon.ico", "/auth/nothing", "/graphiql/x.png", "/metrics/x"} {
		if r, body := get(missing); r.StatusCode != http.StatusNotFound || body == index {
			t.Errorf("%s: %d, want 404 and not the app", missing, r.StatusCode)
		}
	}
	if r, body := get("/healthz"); r.StatusCode != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("/healthz: %d %s", r.StatusCode, body)
	}
	if r, body := get("/graphiql"); r.StatusCode != http.StatusOK || body == index {
		t.Errorf("/graphiql: %d, or it is the app", r.StatusCode)
	}
	if r, body := get("/graphql?query=%7B__typename%7D"); r.StatusCode != http.StatusOK || !strings.Contains(body, "Query") {
		t.Errorf("/graphql: %d %s", r.StatusCode, body)
	}
	r, body := get("/auth/dev-accounts")
	var dev struct {
		Accounts []struct {
			Account, Password string
			Roles             []string
		}
	}
	if err := json.Unmarshal([]byte(body), &dev); err != nil || r.StatusCode != http.StatusOK || len(dev.Accounts) != len(s.accounts) {
		t.Fatalf("/auth/dev-accounts: %d %v %s", r.StatusCode, err, body)
	}
	for _, a := range dev.Accounts {
		if s.accounts[a.Account] != a.Password || len(a.Roles) == 0 {
			t.Errorf("dev account %+v does not match the portal's", a)
		}
	}
}

// TestOnlyPortalHost: every page of the app, anonymous and for each demo
// role, requests nothing from any host but the portal's (every browser of
// the other tests checks the same at its end). Each page is also checked
// for labels, button texts and a heading, on a desktop and a phone-sized
// screen (no sideways scrolling).
func TestOnlyPortalHost(t *testing.T) {
	s := need(t)
	b := newBrowser(t, s)
	pages := []string{"/", "/campaigns/heart-surgery-fund", "/verify", "/signin", "/no-such-page"}
	for _, p := range pages {
		b.visit(p)
		b.settled(p)
		b.accessible(p)
	}
	for _, who := range []struct{ account, path string }{
		{"hope/donor-sam", "/gifts"}, {"acme/adjuster", "/claims/clm-approved"}, {"stmarys/patient-ana", "/patient"},
		{"acme/admin", "/admin"}, {"hope/officer", "/charity"}, {"stmarys/privacy", "/staff"}, {"healthreg/auditor", "/explorer"},
		{"healthreg/auditor", "/claims"}, {"stmarys/dr-lee", "/staff"}, {"healthreg/validator", "/charity"},
	} {
		b.signIn(who.account)
		b.visit(who.path)
		b.settled(who.path)
		b.accessible(who.path)
	}
	// GraphiQL (its own page, not the app: no a11y check of the app's
	// layout) signed in, with its editor's workers and schema fetch.
	b.openGraphiQL("{ nodeStatus { height } }", "nodeStatus")
	b.phone()
	for _, p := range []string{"/staff", "/campaigns/heart-surgery-fund", "/explorer"} {
		b.visit(p)
		b.settled(p)
		b.accessible(p + " (phone)")
	}
	b.shot("phone-explorer")
	all, bad := b.foreign()
	if len(bad) > 0 {
		t.Fatalf("requests to other hosts: %v", bad)
	}
	b.mu.Lock()
	var assets, gql, ws int
	for _, r := range b.reqs {
		if strings.HasPrefix(r, "ws://") {
			ws++
		}
		if strings.Contains(r, "/assets/") {
			assets++
		}
		if strings.HasSuffix(r, "/graphql") {
			gql++
		}
	}
	b.mu.Unlock()
	if assets == 0 || gql == 0 || ws == 0 {
		t.Fatalf("the listener saw %d requests but %d for assets, %d for GraphQL and %d WebSockets: it does not see the page's traffic", all, assets, gql, ws)
	}
	t.Logf("%d requests, all to %s", all, s.url)
}
