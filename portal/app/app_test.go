package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/almoner/almoner/graphql/gqlclient"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/portal/server"
	"github.com/almoner/almoner/portal/session"
)

// startPortal runs a real node and a real portal (over TCP) until the test
// ends.
func startPortal(t testing.TB, sc server.Config) (*testnode.Node, *app.Portal) {
	t.Helper()
	n := testnode.Start(t)
	if sc.RatePerIP == 0 {
		sc.RatePerIP = 100000
	}
	p, _ := runPortal(t, app.Config{Node: n.URL, Home: t.TempDir(), DevHome: n.Home, Server: sc})
	return n, p
}

// testArgon2 makes password hashing cheap: tests sign in a lot.
func testArgon2() session.Argon2Params {
	return session.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}
}

// runPortal starts the portal cfg describes (on a free local port and
// with testArgon2 unless cfg says otherwise) and waits until it is
// healthy; the returned stop closes it, once, and runs when the test
// ends too.
func runPortal(t testing.TB, cfg app.Config) (*app.Portal, func()) {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Argon2 == (session.Argon2Params{}) {
		cfg.Argon2 = testArgon2()
	}
	p, err := app.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("starting the portal of %q: %v", cfg.Org, err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			if err := p.Close(); err != nil {
				t.Errorf("closing the portal of %q: %v", cfg.Org, err)
			}
		})
	}
	t.Cleanup(stop)
	waitHealthy(t, p.URL)
	return p, stop
}

func waitHealthy(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := http.Get(base + "/healthz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal not healthy: %v %v", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client is a browser-like or machine client of the portal
// (graphql/gqlclient) for a test: what gets no answer fails the test.
type client struct {
	t    *testing.T
	base string
	gc   *gqlclient.Client
}

func newClient(t *testing.T, base string) *client {
	t.Helper()
	gc, err := gqlclient.New(gqlclient.Config{URL: base})
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, gc: gc}
}

// login signs the client in and requires it to succeed with a CSRF token
// and a strict session cookie.
func (c *client) login(account, password string) {
	c.t.Helper()
	status, cookie := c.signIn(account, password)
	if status != http.StatusOK || c.gc.CSRFToken() == "" {
		c.t.Fatalf("login %s: %d", account, status)
	}
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		c.t.Fatalf("session cookie lacks HttpOnly or SameSite=Strict: %s", cookie)
	}
}

// loginStatus tries a sign-in and returns the HTTP status (and signs the
// client in on 200).
func (c *client) loginStatus(account, password string) int {
	c.t.Helper()
	status, _ := c.signIn(account, password)
	return status
}

// signIn posts a sign-in and returns the status and the session cookie
// set; on 200 the client is signed in with the CSRF token it got.
func (c *client) signIn(account, password string) (int, string) {
	c.t.Helper()
	s, err := c.gc.SignIn(context.Background(), account, password)
	var re *gqlclient.ResponseError
	switch {
	case err == nil:
		return http.StatusOK, s.Header.Get("Set-Cookie")
	case errors.As(err, &re):
		return re.Status, re.Header.Get("Set-Cookie")
	}
	c.t.Fatal(err)
	return 0, ""
}

// gqlResult is an answer of the portal with its data decoded.
type gqlResult struct {
	*gqlclient.Response
	Data map[string]any
	raw  string
}

func (r *gqlResult) code() string { return r.Response.Code() }

func (c *client) do(query string, vars map[string]any) *gqlResult {
	c.t.Helper()
	return c.result(c.gc.Do(context.Background(), query, vars))
}

// result is the answer r with its data decoded, or fails the test with
// err.
func (c *client) result(r *gqlclient.Response, err error) *gqlResult {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
	out := &gqlResult{Response: r, raw: string(r.Body)}
	if len(r.Data) != 0 {
		if err := json.Unmarshal(r.Data, &out.Data); err != nil {
			c.t.Fatalf("%d %q: %v", r.Status, r.Body, err)
		}
	}
	return out
}

func dig(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

// TestQueriesAndSignedMutation runs real documents against a real portal
// following a real node: queries with Relay pagination, a mutation signed
// with the admin's keystore key that waits for its receipt, the read model
// reflecting it, the receipt proof, and the refusals (anonymous,
// wrong organisation, missing CSRF token, cross-origin, mutation over GET,
// read-only API token, bad token).
func TestQueriesAndSignedMutation(t *testing.T) {
	_, p := startPortal(t, server.Config{})
	anon := newClient(t, p.URL)

	r := anon.do(`{ nodeStatus { chainId height indexedHeight lag } organisations { id kind name }
		members(organisation: "stmarys", first: 2) { edges { cursor node { id roles organisation { name } } } pageInfo { hasNextPage endCursor } } }`, nil)
	if r.Status != 200 || len(r.Errors) != 0 {
		t.Fatalf("query: %s", r.raw)
	}
	if orgs := r.Data["organisations"].([]any); len(orgs) != 4 {
		t.Fatalf("organisations: %v", orgs)
	}
	edges := dig(r.Data, "members", "edges").([]any)
	if len(edges) != 2 || dig(r.Data, "members", "pageInfo", "hasNextPage") != true {
		t.Fatalf("members page: %s", r.raw)
	}
	after := dig(r.Data, "members", "pageInfo", "endCursor").(string)
	r2 := anon.do(`query($a: String) { members(organisation: "stmarys", first: 10, after: $a) { nodes { id } pageInfo { hasNextPage } } }`, map[string]any{"a": after})
	if n := dig(r2.Data, "members", "nodes").([]any); len(n) != 3 || dig(r2.Data, "members", "pageInfo", "hasNextPage") != false {
		t.Fatalf("second members page: %s", r2.raw)
	}

	const setRoles = `mutation($m: ID!, $r: [String!]!) { setMemberRoles(member: $m, roles: $r, wait: true) {
		id status height receipt { status error events { contract type attrs { key value } } } transaction { sender method block { height } } } }`
	vars := map[string]any{"m": "stmarys/dr-lee", "r": []string{"physician", "privacy_officer"}}
	if r := anon.do(setRoles, vars); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous mutation: %s", r.raw)
	}
	donor := as(t, p, "hope/donor-sam")
	if r := donor.do(setRoles, vars); r.code() != "FORBIDDEN" {
		t.Fatalf("donor changing a hospital's roles: %s", r.raw)
	}
	admin := as(t, p, "stmarys/admin")
	csrf := admin.gc.CSRFToken()
	admin.gc.SetCSRFToken("")
	if r := admin.do(setRoles, vars); r.Status != 403 || r.code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "CSRF") {
		t.Fatalf("mutation without CSRF token: %s", r.raw)
	}
	admin.gc.SetCSRFToken(csrf)
	admin.gc.SetOrigin("https://evil.example")
	if r := admin.do(setRoles, vars); r.Status != 403 || r.code() != "FORBIDDEN" {
		t.Fatalf("cross-origin mutation: %s", r.raw)
	}
	admin.gc.SetOrigin(p.URL)
	r = admin.do(setRoles, vars)
	if r.Status != 200 || len(r.Errors) != 0 || dig(r.Data, "setMemberRoles", "status") != "COMMITTED" ||
		dig(r.Data, "setMemberRoles", "receipt", "status") != "OK" || dig(r.Data, "setMemberRoles", "transaction", "sender") != "stmarys/admin" {
		t.Fatalf("signed mutation: %s", r.raw)
	}
	id := dig(r.Data, "setMemberRoles", "id").(string)

	// Read your writes: the read model has the new roles already.
	// The transaction is visible to its sender (and consortium admins and
	// auditors), not to everyone: it names members and carries events.
	if r := anon.do(`query($id: ID!) { transaction(id: $id) { id } }`, map[string]any{"id": id}); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous transaction read: %s", r.raw)
	}
	if r := donor.do(`query($id: ID!) { receiptProof(id: $id) }`, map[string]any{"id": id}); r.code() != "FORBIDDEN" {
		t.Fatalf("a donor reading the admin's transaction: %s", r.raw)
	}
	r = admin.do(`query($id: ID!) { member(id: "stmarys/dr-lee") { roles updated }
		transaction(id: $id) { contract method receipt { status } block { height transactions { id } } }
		receiptProof(id: $id) }`, map[string]any{"id": id})
	if roles := dig(r.Data, "member", "roles").([]any); !slices.Equal(roles, []any{"physician", "privacy_officer"}) {
		t.Fatalf("roles after the mutation: %s", r.raw)
	}
	if dig(r.Data, "transaction", "method") != "set_roles" || dig(r.Data, "receiptProof") == nil {
		t.Fatalf("transaction and proof: %s", r.raw)
	}

	// A mutation the ledger refuses comes back as a failed receipt.
	r = admin.do(setRoles, map[string]any{"m": "stmarys/admin", "r": []string{"physician"}})
	if dig(r.Data, "setMemberRoles", "receipt", "status") != "FAILED" || dig(r.Data, "setMemberRoles", "receipt", "error") == nil {
		t.Fatalf("admin dropping own admin role: %s", r.raw)
	}

	// Blocks connection, newest first, with backward paging.
	r = anon.do(`{ blocks(first: 2) { edges { cursor node { height } } pageInfo { hasNextPage endCursor } } }`, nil)
	be := dig(r.Data, "blocks", "edges").([]any)
	h0 := dig(be[0], "node", "height").(float64)
	if len(be) != 2 || dig(be[1], "node", "height").(float64) != h0-1 {
		t.Fatalf("blocks: %s", r.raw)
	}
	r = anon.do(`query($c: String) { blocks(last: 1, before: $c) { nodes { height } } }`, map[string]any{"c": dig(be[1], "cursor")})
	if n := dig(r.Data, "blocks", "nodes").([]any); len(n) != 1 || dig(n[0], "height").(float64) != h0 {
		t.Fatalf("blocks backward: %s", r.raw)
	}

	// Mutations over GET are refused with 405.
	req, _ := http.NewRequest(http.MethodGet, p.URL+"/graphql?query="+strings.ReplaceAll("mutation { revokeApiToken(id: \"x\") }", " ", "+"), nil)
	req.Header.Set("Accept", "application/graphql-response+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("mutation over GET: %d %q", resp.StatusCode, resp.Header.Get("Allow"))
	}

	// API tokens: a read-only token may query but not mutate; a bad one is 401.
	r = admin.do(`mutation { createApiToken(name: "reporting", scopes: ["read"], ttlHours: 24) { secret apiToken { id scopes } } }`, nil)
	secret, _ := dig(r.Data, "createApiToken", "secret").(string)
	if secret == "" {
		t.Fatalf("createApiToken: %s", r.raw)
	}
	bot := newClient(t, p.URL)
	bot.gc.SetBearerToken(secret)
	if r := bot.do(`{ viewer { account via member { id } } }`, nil); dig(r.Data, "viewer", "account") != "stmarys/admin" || dig(r.Data, "viewer", "via") != "token" {
		t.Fatalf("viewer by token: %s", r.raw)
	}
	if r := bot.do(setRoles, vars); r.code() != "FORBIDDEN" {
		t.Fatalf("read-only token mutating: %s", r.raw)
	}
	bot.gc.SetBearerToken(secret + "x")
	if r := bot.do(`{ viewer { account } }`, nil); r.Status != 401 || r.code() != "UNAUTHENTICATED" {
		t.Fatalf("bad token: %s", r.raw)
	}
	// Errors never leak internals: a bad id is BAD_USER_INPUT, a missing one null.
	if r := anon.do(`{ transaction(id: "zz") { id } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("bad id: %s", r.raw)
	}
	if r := anon.do(`{ receiptProof(id: "`+strings.Repeat("0", 64)+`") }`, nil); r.code() != "NOT_FOUND" {
		t.Fatalf("missing proof: %s", r.raw)
	}
	// A block's proposer is a node; its organisation by name.
	if r := admin.do(`{ blocks(first: 1) { nodes { proposer proposerOrganisation { id name } } } }`, nil); dig(r.Data, "blocks", "nodes") == nil ||
		len(dig(r.Data, "blocks", "nodes").([]any)) != 1 || dig(dig(r.Data, "blocks", "nodes").([]any)[0], "proposerOrganisation", "name") == nil {
		t.Fatalf("a block's proposer's organisation: %s", r.raw)
	}
	// A mutation that ran and failed (its non-null root field): "data" is
	// null and the status 200, as the GraphQL-over-HTTP spec asks; a
	// request that never ran (a required variable missing) is 400.
	if r := admin.do(`mutation { revokeApiToken(id: "no-such-token") }`, nil); r.Status != 200 ||
		!strings.HasPrefix(r.raw, `{"data":null,"errors":[`) || r.code() == "" {
		t.Fatalf("a failed non-null mutation field: %d %s", r.Status, r.raw)
	}
	if r := admin.do(`mutation($id: ID!) { revokeApiToken(id: $id) }`, nil); r.Status != 400 ||
		strings.Contains(r.raw, `"data"`) {
		t.Fatalf("a required variable missing: %d %s", r.Status, r.raw)
	}
}

// TestLimits checks the depth, cost, body size and per-IP rate limits.
func TestLimits(t *testing.T) {
	_, p := startPortal(t, server.Config{BodyLimit: 64 << 10, RatePerIP: 40})
	c := newClient(t, p.URL)
	deep := `{ blocks { nodes { transactions { block { transactions { block { transactions { block { transactions { block { transactions { block { height } } } } } } } } } } } } }`
	if r := c.do(deep, nil); r.Status != 400 || r.code() != "QUERY_TOO_COMPLEX" || !strings.Contains(r.Errors[0].Message, "deep") {
		t.Fatalf("deep query: %s", r.raw)
	}
	// A connection's first sizes its nodes: a page of 50 or 100 entries
	// with every field is within the cost limit (not 50 times the default
	// page again for its nodes).
	for _, q := range []string{
		`{ accessLog(first: 50) { nodes { id kind reader recordId recordVersion patient custodian purpose consentId
			consentStatusAtAccess breakGlassReason noteHash refusal expiresAt delivered undelivered { reason time txId }
			reviewed review { reviewer outcome noteHash height time txId } height time } pageInfo { hasNextPage endCursor } } }`,
		`{ blocks(first: 100) { edges { cursor node { height hash time proposer txRoot } } } }`,
	} {
		if r := c.do(q, nil); r.code() == "QUERY_TOO_COMPLEX" || r.code() == "BAD_USER_INPUT" {
			t.Fatalf("a page of 50 or 100 entries: %s", r.raw)
		}
	}
	costly := `{ blocks(first: 100) { nodes { transactions { senderMember { organisation { members(first: 100) { nodes { id } } } } } } } }`
	if r := c.do(costly, nil); r.Status != 400 || r.code() != "QUERY_TOO_COMPLEX" || !strings.Contains(r.Errors[0].Message, "cost") {
		t.Fatalf("costly query: %s", r.raw)
	}
	// A fragment cycle once overflowed the stack inside graphql-go's
	// validation and killed the process (hardening issue, item 1): sent
	// as reported (anonymous GET), it is refused and the portal lives on.
	req, _ := http.NewRequest(http.MethodGet, p.URL+"/graphql?"+url.Values{
		"query": {`fragment F on Query { ...G } fragment G on Query { ...F } { ...F }`}}.Encode(), nil)
	req.Header.Set("Accept", "application/graphql-response+json")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatalf("fragment cycle: %v", err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), `Cannot spread fragment \"F\" within itself via G.`) {
			t.Fatalf("fragment cycle: %d %s", resp.StatusCode, b)
		}
	}
	var same strings.Builder
	for i := range 200 {
		fmt.Fprintf(&same, `nodeStatus { a%d: height } `, i)
	}
	if r := c.do("{ "+same.String()+"}", nil); r.code() != "QUERY_TOO_COMPLEX" || !strings.Contains(r.Errors[0].Message, "repeats fields") {
		t.Fatalf("same-named fields: %s", r.raw)
	}
	if r := c.do(`{ nodeStatus { height } }`, nil); r.Status != 200 || len(r.Errors) != 0 {
		t.Fatalf("after the hostile documents: %s", r.raw)
	}
	// An over-long body is refused with 413; the server may answer and
	// close before the client has written it all (a broken pipe or reset
	// on our side), which is a refusal too.
	big, _ := json.Marshal(map[string]any{"query": `{ __typename ` + strings.Repeat(" ", 70<<10) + `}`})
	for _, path := range []string{"/graphql", "/auth/login"} {
		if r, err := http.Post(p.URL+path, "application/json", bytes.NewReader(big)); err == nil {
			var out struct {
				Errors []struct {
					Message    string
					Extensions map[string]any
				}
			}
			_ = json.NewDecoder(r.Body).Decode(&out)
			r.Body.Close()
			if r.StatusCode != 413 || len(out.Errors) != 1 || out.Errors[0].Extensions["code"] != "PAYLOAD_TOO_LARGE" ||
				out.Errors[0].Extensions["limit"] != float64(64<<10) || !strings.Contains(out.Errors[0].Message, "64 KiB") {
				t.Fatalf("big body to %s: %d %+v", path, r.StatusCode, out)
			}
		} else if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("big body to %s: %v", path, err)
		}
	}
	// Sign-in guessing is bounded per account, not per address: after 5
	// wrong passwords the account takes none (the right one neither) for
	// a while, with a clear answer; a neighbour at the same address still
	// signs in.
	guesser := newClient(t, p.URL)
	for i := range 5 {
		if s := guesser.loginStatus("stmarys/dr-lee", "a wrong password "+strconv.Itoa(i)); s != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, s)
		}
	}
	_, err := newClient(t, p.URL).gc.SignIn(context.Background(), "stmarys/dr-lee", p.DevAccounts["stmarys/dr-lee"])
	var locked *gqlclient.ResponseError
	if !errors.As(err, &locked) || locked.Status != http.StatusTooManyRequests || locked.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(locked.Body), "too many failed sign-ins") {
		t.Fatalf("a locked account: %v", err)
	}
	if s := newClient(t, p.URL).loginStatus("stmarys/clerk", p.DevAccounts["stmarys/clerk"]); s != http.StatusOK {
		t.Fatalf("a neighbour at the same address: %d", s)
	}
	var limited bool
	for i := 0; i < 60 && !limited; i++ {
		r := c.do(`{ __typename }`, nil)
		limited = r.Status == 429 && r.code() == "RATE_LIMITED"
	}
	if !limited {
		t.Fatal("per-IP rate limit never applied")
	}
}

// TestHealthAndMetrics checks /healthz and the Prometheus metrics.
func TestHealthAndMetrics(t *testing.T) {
	_, p := startPortal(t, server.Config{})
	c := newClient(t, p.URL)
	c.do(`{ nope }`, nil)
	// Concurrent mixed traffic (methods, routes, statuses) once made
	// /metrics answer 500: labels pointed into request buffers that later
	// requests reused ("method=GETT ... was collected before").
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				method := []string{"GET", "POST", "HEAD", "OPTIONS", "DELETE", "PROPFIND", "GETT"}[(g+i)%7]
				path := []string{"/graphql?query=%7B__typename%7D", "/healthz", "/nope/" + strconv.Itoa(i), "/", "/graphiql"}[(g*3+i)%5]
				req, _ := http.NewRequest(method, p.URL+path, strings.NewReader(`{"query":"{ __typename }"}`))
				req.Header.Set("Content-Type", "application/json")
				if r, err := http.DefaultClient.Do(req); err == nil {
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	r, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("/metrics after mixed traffic: %d\n%s", r.StatusCode, body)
	}
	for _, want := range []string{"portal_http_requests_total", "portal_http_request_duration_seconds_bucket", `portal_graphql_errors_total{code="BAD_USER_INPUT"}`,
		"portal_readmodel_lag_blocks ", `method="DELETE"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	r, err = http.Get(p.URL + "/graphiql")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || strings.Contains(string(page), "://") {
		t.Fatalf("graphiql page %d (must load only same-origin assets)", r.StatusCode)
	}
}
