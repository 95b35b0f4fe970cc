package server

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
)

// TestFrontend: files as themselves (assets cached), client routes as
// index.html, and 404 for missing files and for the portal's own paths.
func TestFrontend(t *testing.T) {
	s := &Server{cfg: Config{Frontend: fstest.MapFS{
		"index.html":       {Data: []byte("<html>app</html>")},
		"favicon.svg":      {Data: []byte("<svg/>")},
		"assets/app-1.js":  {Data: []byte("console.log(1)")},
		"assets/app-1.css": {Data: []byte("body{}")},
	}}}
	app := fiber.New()
	app.Get("/*", s.frontend)
	type fetch struct {
		path, body, ctype, cache string
		status                   int
	}
	cases := []fetch{
		{"/favicon.svg", "<svg/>", "image/svg+xml", "", 200},
		{"/assets/app-1.js", "console.log(1)", "text/javascript", "immutable", 200},
		{"/assets/app-1.css", "body{}", "text/css", "immutable", 200},
	}
	// Client routes are the app's index.html; a path that climbs out is
	// cleaned, never outside the FS.
	for _, path := range []string{"/", "/index.html", "/gifts/abc", "/claims/clm-1", "/../../etc/passwd"} {
		cases = append(cases, fetch{path, "<html>app</html>", "text/html", "", 200})
	}
	for _, path := range []string{"/assets/missing.js", "/assets/nodot", "/missing.png",
		"/graphql/x", "/graphiql", "/auth/dev-accounts", "/auth", "/healthz", "/metrics"} {
		cases = append(cases, fetch{path: path, status: 404})
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r, err := app.Test(httptest.NewRequest("GET", c.path, nil))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			if r.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%s)", r.StatusCode, c.status, b)
			}
			if c.status != 200 {
				return
			}
			if string(b) != c.body {
				t.Errorf("body %q, want %q", b, c.body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, c.ctype)
			}
			if cc := r.Header.Get("Cache-Control"); c.cache != "" && !strings.Contains(cc, c.cache) {
				t.Errorf("Cache-Control %q, want %s", cc, c.cache)
			}
		})
	}
}

// TestGraphiQLPage: /graphiql serves the built GraphiQL with its own CSP
// (inline styles for its editor, never inline scripts), and the small
// console under the portal's strict CSP when the app was not built.
func TestGraphiQLPage(t *testing.T) {
	get := func(fe fstest.MapFS) (string, string) {
		t.Helper()
		s := &Server{}
		if fe != nil {
			s.cfg.Frontend = fe
		}
		app := fiber.New()
		app.Use(securityHeaders)
		app.Get("/graphiql", s.graphiqlPage)
		r, err := app.Test(httptest.NewRequest("GET", "/graphiql", nil))
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("GET /graphiql: %v %v", r, err)
		}
		b, _ := io.ReadAll(r.Body)
		return string(b), r.Header.Get("Content-Security-Policy")
	}
	body, csp := get(fstest.MapFS{"graphiql.html": {Data: []byte("<html>graphiql</html>")}})
	if body != "<html>graphiql</html>" || !strings.Contains(csp, "style-src 'self' 'unsafe-inline'") || !strings.Contains(csp, "script-src 'self';") ||
		strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "*") {
		t.Fatalf("built GraphiQL: %q under %q", body, csp)
	}
	for name, fe := range map[string]fstest.MapFS{"no app": nil, "an app without GraphiQL": {"index.html": {Data: []byte("app")}}} {
		body, csp := get(fe)
		if !strings.Contains(body, "<html") || body == "<html>graphiql</html>" || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("%s: %q under %q", name, body[:min(len(body), 60)], csp)
		}
	}
}
