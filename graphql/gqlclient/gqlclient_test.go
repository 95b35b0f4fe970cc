package gqlclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/graphql/gqlclient"
	"github.com/almoner/almoner/portal/server"
)

// fakePortal answers as portal/server does (its contract, not its code):
// /auth/login sets the session cookie and answers the CSRF token or a
// refusal in the GraphQL error shape; /auth/session answers the principal
// or 401; /graphql echoes what it got ({ echo }) or answers the kinds of
// refusal a portal gives.
func fakePortal(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	refuse := func(w http.ResponseWriter, status int, code, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{
			map[string]any{"message": msg, "extensions": map[string]any{"code": code}}}})
	}
	answer := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/graphql-response+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	signedIn := func(r *http.Request) string {
		if c, err := r.Cookie("almoner_session"); err == nil && c.Value == "tok-ana" {
			return "stmarys/patient-ana"
		}
		return ""
	}
	mux.HandleFunc("POST /auth/login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Account, Password string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			refuse(w, 400, "BAD_USER_INPUT", "send JSON")
			return
		}
		switch {
		case in.Account == "stmarys/locked":
			w.Header().Set("Retry-After", "30")
			refuse(w, 429, "RATE_LIMITED", "too many failed sign-ins for this account")
		case in.Account != "stmarys/patient-ana" || in.Password != "right":
			refuse(w, 401, "UNAUTHENTICATED", "wrong account or password")
		default:
			http.SetCookie(w, &http.Cookie{Name: "almoner_session", Value: "tok-ana", Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode})
			_ = json.NewEncoder(w).Encode(map[string]any{"account": in.Account, "csrfToken": "csrf-ana",
				"expires": "2030-01-02T03:04:05Z", "mustChangePassword": true})
		}
	})
	mux.HandleFunc("GET /auth/session", func(w http.ResponseWriter, r *http.Request) {
		if who := signedIn(r); who != "" {
			_ = json.NewEncoder(w).Encode(map[string]any{"signedIn": true, "account": who, "via": "session",
				"csrfToken": "csrf-ana"})
			return
		}
		refuse(w, 401, "UNAUTHENTICATED", "not signed in")
	})
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Query     string
			Variables map[string]any
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				t.Errorf("the request body: %v", err)
			}
		}
		switch in.Query {
		case "", "{ echo }":
			answer(w, 200, map[string]any{"data": map[string]any{"echo": map[string]any{
				"account": signedIn(r), "vars": in.Variables, "csrf": r.Header.Get(server.CSRFHeader),
				"authorization": r.Header.Get("Authorization"), "origin": r.Header.Get("Origin"),
				"accept": r.Header.Get("Accept"), "contentType": r.Header.Get("Content-Type")}}})
		case "mutation { revoke }":
			answer(w, 200, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "no such token",
				"path": []any{"revoke"}, "extensions": map[string]any{"code": "NOT_FOUND"}}}})
		case "{ invalid }":
			answer(w, 400, map[string]any{"errors": []any{
				map[string]any{"message": "Cannot query field", "extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}},
				map[string]any{"message": "again", "extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}}})
		case "{ proxy }":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>bad gateway</html>"))
		case "{ big }":
			n := int(in.Variables["n"].(float64))
			answer(w, 200, map[string]any{"data": map[string]any{"big": strings.Repeat("x", n)}})
		case "{ slow }":
			<-r.Context().Done()
		default:
			t.Errorf("unexpected query %q", in.Query)
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, cfg gqlclient.Config) *gqlclient.Client {
	t.Helper()
	c, err := gqlclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type echo struct {
	Echo struct {
		Account, CSRF, Authorization, Origin, Accept, ContentType string
		Vars                                                      map[string]any
	}
}

// TestSignInThenRun: a signed-in client sends its session cookie and CSRF
// token with each request, the variables as given, and decodes the data.
func TestSignInThenRun(t *testing.T) {
	p := fakePortal(t)
	c := newClient(t, gqlclient.Config{URL: p.URL + "/"})
	ctx := context.Background()
	var out echo
	if err := c.Run(ctx, "{ echo }", nil, &out); err != nil {
		t.Fatal(err)
	}
	if out.Echo.Account != "" || out.Echo.CSRF != "" || out.Echo.Vars != nil ||
		out.Echo.Accept != "application/graphql-response+json" || out.Echo.ContentType != "application/json" {
		t.Fatalf("anonymous: %+v", out)
	}
	if _, err := c.Session(ctx); !isRefusal(err, 401, "UNAUTHENTICATED") {
		t.Fatalf("the session before signing in: %v", err)
	}
	s, err := c.SignIn(ctx, "stmarys/patient-ana", "right")
	if err != nil {
		t.Fatal(err)
	}
	if s.Account != "stmarys/patient-ana" || s.CSRFToken != "csrf-ana" || !s.MustChangePassword ||
		!s.Expires.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) ||
		!strings.Contains(s.Header.Get("Set-Cookie"), "HttpOnly") || c.CSRFToken() != "csrf-ana" {
		t.Fatalf("signed in: %+v, token %q", s, c.CSRFToken())
	}
	if ck := c.Cookies(); len(ck) != 1 || ck[0].Name != "almoner_session" || ck[0].Value != "tok-ana" {
		t.Fatalf("cookies: %v", ck)
	}
	if s, err := c.Session(ctx); err != nil || s.Account != "stmarys/patient-ana" || s.Via != "session" {
		t.Fatalf("the session: %+v %v", s, err)
	}
	vars := map[string]any{"id": "rec-1", "n": 2.5, "list": []any{"a", "b"}}
	if err := c.Run(ctx, "{ echo }", vars, &out); err != nil {
		t.Fatal(err)
	}
	if out.Echo.Account != "stmarys/patient-ana" || out.Echo.CSRF != "csrf-ana" || out.Echo.Authorization != "" ||
		out.Echo.Vars["id"] != "rec-1" || out.Echo.Vars["n"] != 2.5 || len(out.Echo.Vars["list"].([]any)) != 2 {
		t.Fatalf("signed in: %+v", out)
	}
	// What a browser-like test changes: no CSRF token, another origin.
	c.SetCSRFToken("")
	c.SetOrigin("https://evil.example")
	if err := c.Run(ctx, "{ echo }", nil, &out); err != nil || out.Echo.CSRF != "" || out.Echo.Origin != "https://evil.example" {
		t.Fatalf("without the token, from elsewhere: %+v %v", out, err)
	}
	if err := c.Run(ctx, "{ echo }", nil, nil); err != nil {
		t.Fatalf("no data wanted: %v", err)
	}
}

// TestBearerToken: a machine client sends its API token with each request.
func TestBearerToken(t *testing.T) {
	p := fakePortal(t)
	c := newClient(t, gqlclient.Config{URL: p.URL, BearerToken: "secret-1"})
	var out echo
	if err := c.Run(context.Background(), "{ echo }", nil, &out); err != nil || out.Echo.Authorization != "Bearer secret-1" {
		t.Fatalf("bearer: %+v %v", out, err)
	}
	c.SetBearerToken("secret-2")
	if err := c.Run(context.Background(), "{ echo }", nil, &out); err != nil || out.Echo.Authorization != "Bearer secret-2" ||
		c.BearerToken() != "secret-2" {
		t.Fatalf("another bearer: %+v %v", out, err)
	}
}

// TestPost: a body already encoded, such as a multipart upload, goes as it
// is with its content type.
func TestPost(t *testing.T) {
	p := fakePortal(t)
	c := newClient(t, gqlclient.Config{URL: p.URL})
	r, err := c.Post(context.Background(), "multipart/form-data; boundary=x", []byte("--x--\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out echo
	if err := r.Decode(&out); err != nil || out.Echo.ContentType != "multipart/form-data; boundary=x" {
		t.Fatalf("multipart: %+v %v", out, err)
	}
}

func isRefusal(err error, status int, code string) bool {
	var re *gqlclient.ResponseError
	return errors.As(err, &re) && re.Status == status && re.Code() == code
}

// TestRefusals: a refused sign-in leaves the client as it was; GraphQL
// errors come back with their codes, from Do as an answer and from Run as
// a *ResponseError; what is not a GraphQL answer is an error with its
// status and body.
func TestRefusals(t *testing.T) {
	p := fakePortal(t)
	c := newClient(t, gqlclient.Config{URL: p.URL})
	ctx := context.Background()
	_, err := c.SignIn(ctx, "stmarys/patient-ana", "wrong")
	if !isRefusal(err, 401, "UNAUTHENTICATED") || err.Error() != "HTTP 401: wrong account or password (UNAUTHENTICATED)" ||
		c.CSRFToken() != "" || len(c.Cookies()) != 0 {
		t.Fatalf("a wrong password: %v, token %q", err, c.CSRFToken())
	}
	_, err = c.SignIn(ctx, "stmarys/locked", "right")
	var re *gqlclient.ResponseError
	if !isRefusal(err, 429, "RATE_LIMITED") || !errors.As(err, &re) || re.Header.Get("Retry-After") != "30" ||
		!strings.Contains(string(re.Body), "too many failed sign-ins") {
		t.Fatalf("a locked account: %v", err)
	}

	r, err := c.Do(ctx, "mutation { revoke }", nil)
	if err != nil || r.Status != 200 || string(r.Data) != "null" || r.Code() != "NOT_FOUND" ||
		r.Errors[0].Path[0] != "revoke" || !strings.HasPrefix(string(r.Body), `{"data":null,"errors":[`) {
		t.Fatalf("a failed mutation field: %+v %v", r, err)
	}
	if err := r.Decode(&map[string]any{}); err != nil {
		t.Fatalf("null data decodes: %v", err)
	}
	if err := c.Run(ctx, "mutation { revoke }", nil, nil); !isRefusal(err, 200, "NOT_FOUND") ||
		err.Error() != "no such token (NOT_FOUND)" {
		t.Fatalf("Run of a failed mutation field: %v", err)
	}

	r, err = c.Do(ctx, "{ invalid }", nil)
	if err != nil || r.Status != 400 || r.Data != nil || len(r.Errors) != 2 || r.Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("a document that cannot run: %+v %v", r, err)
	}
	if err := r.Decode(&map[string]any{}); err == nil {
		t.Fatal("decoded the data of an answer without data")
	}
	err = c.Run(ctx, "{ invalid }", nil, nil)
	if !isRefusal(err, 400, "GRAPHQL_VALIDATION_FAILED") ||
		err.Error() != "HTTP 400: Cannot query field (GRAPHQL_VALIDATION_FAILED) and 1 more" {
		t.Fatalf("Run of a document that cannot run: %v", err)
	}

	r, err = c.Do(ctx, "{ proxy }", nil)
	if r != nil || !errors.As(err, &re) || re.Status != 502 || len(re.Errors) != 0 || re.Code() != "" ||
		err.Error() != "HTTP 502: <html>bad gateway</html>" {
		t.Fatalf("not a GraphQL answer: %+v %v", r, err)
	}
}

// TestLimits: an answer over the size limit is an error, one at the limit
// is not; a cancelled context ends the request, as does the timeout.
func TestLimits(t *testing.T) {
	p := fakePortal(t)
	ctx := context.Background()
	const limit = 1000
	overhead := len(`{"data":{"big":""}}` + "\n")
	c := newClient(t, gqlclient.Config{URL: p.URL, MaxResponseBytes: limit})
	var out struct{ Big string }
	if err := c.Run(ctx, "{ big }", map[string]any{"n": limit - overhead}, &out); err != nil || len(out.Big) != limit-overhead {
		t.Fatalf("an answer at the limit: %d %v", len(out.Big), err)
	}
	if err := c.Run(ctx, "{ big }", map[string]any{"n": limit - overhead + 1}, &out); !errors.Is(err, gqlclient.ErrResponseTooLarge) {
		t.Fatalf("an answer over the limit: %v", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c.Do(cctx, "{ slow }", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled request: %v", err)
	}
	quick := newClient(t, gqlclient.Config{URL: p.URL, Timeout: 50 * time.Millisecond})
	if _, err := quick.Do(ctx, "{ slow }", nil); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("a request past the timeout: %v", err)
	}
}

// TestConfig: what Validate refuses, and the portal's header name.
func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  gqlclient.Config
		want string // "" when valid
	}{
		{gqlclient.Config{URL: "http://127.0.0.1:8080"}, ""},
		{gqlclient.Config{URL: "https://portal.example/almoner/"}, ""},
		{gqlclient.Config{URL: ""}, "want http(s)"},
		{gqlclient.Config{URL: "127.0.0.1:8080"}, "URL"},
		{gqlclient.Config{URL: "ftp://portal.example"}, "want http(s)"},
		{gqlclient.Config{URL: "http://portal.example?x=1"}, "want http(s)"},
		{gqlclient.Config{URL: "http://127.0.0.1:8080/graphql"}, "without /graphql"},
		{gqlclient.Config{URL: "http://127.0.0.1:8080", Timeout: -1}, "negative Timeout"},
		{gqlclient.Config{URL: "http://127.0.0.1:8080", MaxResponseBytes: -1}, "negative MaxResponseBytes"},
	} {
		err := tc.cfg.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
		if _, nerr := gqlclient.New(tc.cfg); (nerr == nil) != (err == nil) {
			t.Errorf("%+v: New %v, Validate %v", tc.cfg, nerr, err)
		}
	}
	if c := newClient(t, gqlclient.Config{URL: "https://portal.example/almoner/"}); c.URL() != "https://portal.example/almoner" {
		t.Errorf("URL: %q", c.URL())
	}
	if gqlclient.CSRFHeader != server.CSRFHeader {
		t.Errorf("CSRFHeader %q, the portal's %q", gqlclient.CSRFHeader, server.CSRFHeader)
	}
}
