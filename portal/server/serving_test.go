package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"

	"github.com/almoner/almoner/portal/session"
)

// TestFrontendCompressed: a file with precompressed variants is served as
// the best one Accept-Encoding allows (brotli, then gzip, else itself),
// always with Vary: Accept-Encoding; hashed assets are immutable for a
// year and everything else is revalidated; the variants are not files of
// their own.
func TestFrontendCompressed(t *testing.T) {
	// The variants' bytes stand for the build's compression: the portal
	// serves them as they are.
	js := []byte(strings.Repeat("console.log('almoner');\n", 200))
	index := []byte("<html>" + strings.Repeat("<p>app</p>", 200) + "</html>")
	variant := func(coding string, b []byte) []byte { return []byte(fmt.Sprintf("%s(%d bytes)", coding, len(b))) }
	br := func(_ *testing.T, b []byte) []byte { return variant("br", b) }
	gz := func(_ *testing.T, b []byte) []byte { return variant("gzip", b) }
	s := &Server{cfg: Config{Frontend: fstest.MapFS{
		"index.html":           {Data: index},
		"index.html.br":        {Data: br(t, index)},
		"index.html.gz":        {Data: gz(t, index)},
		"favicon.svg":          {Data: []byte("<svg/>")},
		"assets/app-1.js":      {Data: js},
		"assets/app-1.js.br":   {Data: br(t, js)},
		"assets/app-1.js.gz":   {Data: gz(t, js)},
		"assets/only-gz.js":    {Data: js},
		"assets/only-gz.js.gz": {Data: gz(t, js)},
	}}}
	app := fiber.New()
	app.Get("/*", s.frontend)
	const immutable = "public, max-age=31536000, immutable"
	for _, c := range []struct {
		name, path, accept, coding, cache string
		want                              []byte
		vary                              bool
	}{
		{"chromium", "/assets/app-1.js", "gzip, deflate, br, zstd", "br", immutable, js, true},
		{"gzip only", "/assets/app-1.js", "gzip", "gzip", immutable, js, true},
		{"brotli refused", "/assets/app-1.js", "br;q=0, gzip", "gzip", immutable, js, true},
		{"wildcard", "/assets/app-1.js", "*", "br", immutable, js, true},
		{"no header", "/assets/app-1.js", "", "", immutable, js, true},
		{"identity", "/assets/app-1.js", "identity", "", immutable, js, true},
		{"unknown coding", "/assets/app-1.js", "compress", "", immutable, js, true},
		{"only gzip built", "/assets/only-gz.js", "br, gzip", "gzip", immutable, js, true},
		{"index", "/", "gzip, br", "br", "no-cache", index, true},
		{"client route", "/gifts/abc", "gzip", "gzip", "no-cache", index, true},
		{"no variants", "/favicon.svg", "gzip, br", "", "no-cache", []byte("<svg/>"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", c.path, nil)
			if c.accept != "" {
				req.Header.Set("Accept-Encoding", c.accept)
			}
			r, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			if r.StatusCode != 200 {
				t.Fatalf("status %d (%s)", r.StatusCode, b)
			}
			if got := r.Header.Get("Content-Encoding"); got != c.coding {
				t.Errorf("Content-Encoding %q, want %q", got, c.coding)
			}
			want := c.want
			if c.coding != "" {
				want = variant(c.coding, c.want)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("body %.40q, want %.40q", b, want)
			}
			if got := r.Header.Get("Vary"); (got == "Accept-Encoding") != c.vary {
				t.Errorf("Vary %q (want Accept-Encoding: %v)", got, c.vary)
			}
			if got := r.Header.Get("Cache-Control"); got != c.cache {
				t.Errorf("Cache-Control %q, want %q", got, c.cache)
			}
			ct := r.Header.Get("Content-Type")
			if strings.HasSuffix(c.path, ".js") && !strings.Contains(ct, "javascript") || !strings.HasSuffix(c.path, ".js") && ct == fiber.MIMEOctetStream {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	for _, p := range []string{"/assets/app-1.js.br", "/assets/app-1.js.gz", "/index.html.gz"} {
		if r, err := app.Test(httptest.NewRequest("GET", p, nil)); err != nil || r.StatusCode != 404 {
			t.Errorf("GET %s: %v %v, want 404 (a variant is not a file of its own)", p, r.StatusCode, err)
		}
	}
}

// TestGenesisFile: GET /genesis.json serves Config.Genesis byte for byte
// (a fingerprint is taken of it), as JSON, revalidated; without a genesis
// the route is not there.
func TestGenesisFile(t *testing.T) {
	g := []byte("{\n  \"chain_id\": \"almoner-test\",\n  \"nodes\": []\n}\n")
	for _, c := range []struct {
		name    string
		genesis []byte
		status  int
	}{{"served", g, 200}, {"none", nil, 404}} {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{cfg: Config{Genesis: c.genesis, Frontend: fstest.MapFS{"index.html": {Data: []byte("app")}}}}
			app := fiber.New()
			if c.genesis != nil {
				app.Get("/genesis.json", s.genesisFile)
			}
			app.Get("/*", s.frontend)
			r, err := app.Test(httptest.NewRequest("GET", "/genesis.json", nil))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			if r.StatusCode != c.status {
				t.Fatalf("status %d, want %d", r.StatusCode, c.status)
			}
			if c.status != 200 {
				return
			}
			if !bytes.Equal(b, g) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || r.Header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("%q %q %q", b, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
			}
		})
	}
}

// TestSessionProbe: GET /auth/status answers 200 whether or not anyone is
// signed in (a page's probe logs no error), with what /auth/session
// answers when signed in, and says whether the portal has demo accounts;
// /auth/session keeps its 401 for existing clients.
func TestSessionProbe(t *testing.T) {
	p := &session.Principal{Account: "hope/donor-sam", Via: "session", CSRF: "tok", MustChangePassword: true}
	dev := func() ([]DevAccount, error) { return nil, nil }
	for _, c := range []struct {
		name, path string
		dev        bool
		who        *session.Principal
		status     int
		want       map[string]any
	}{
		{"anonymous probe", "/auth/status", false, nil, 200, map[string]any{"signedIn": false}},
		{"anonymous probe, dev portal", "/auth/status", true, nil, 200, map[string]any{"signedIn": false, "devAccounts": true}},
		{"signed-in probe", "/auth/status", false, p, 200, map[string]any{"signedIn": true, "account": "hope/donor-sam", "via": "session", "csrfToken": "tok", "mustChangePassword": true}},
		{"anonymous session", "/auth/session", false, nil, 401, nil},
		{"signed-in session", "/auth/session", true, p, 200, map[string]any{"signedIn": true, "account": "hope/donor-sam", "via": "session", "csrfToken": "tok", "mustChangePassword": true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{}
			if c.dev {
				s.cfg.DevAccounts = dev
			}
			app := fiber.New()
			app.Use(func(fc *fiber.Ctx) error {
				if c.who != nil {
					fc.Locals(principalKey{}, c.who)
				}
				return fc.Next()
			})
			app.Get("/auth/session", s.sessionInfo)
			app.Get("/auth/status", s.sessionStatus)
			r, err := app.Test(httptest.NewRequest("GET", c.path, nil))
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != c.status {
				t.Fatalf("status %d, want %d", r.StatusCode, c.status)
			}
			if c.want == nil {
				return
			}
			var got map[string]any
			if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("answer %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s: %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
