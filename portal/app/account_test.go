package app_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/graphql/gqlclient"
	"github.com/almoner/almoner/portal/server"
)

// sessionStatus is GET /auth/session's status: 200 while the session lives.
func (c *client) sessionStatus() int {
	c.t.Helper()
	_, err := c.gc.Session(context.Background())
	var re *gqlclient.ResponseError
	if errors.As(err, &re) {
		return re.Status
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return http.StatusOK
}

const changePwDoc = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { endedSessions } }`

// changePassword changes c's account's password from cur to next and
// requires it to succeed.
func (c *client) changePassword(cur, next string) {
	c.t.Helper()
	if r := c.do(changePwDoc, map[string]any{"c": cur, "n": next}); len(r.Errors) != 0 {
		c.t.Fatalf("changing the password: %s", r.raw)
	}
}

// token creates an API token of c's account with scopes and returns its
// secret.
func (c *client) token(scopes ...string) string {
	c.t.Helper()
	r := c.do(`mutation($s: [String!]!) { createApiToken(name: "test", scopes: $s, ttlHours: 24) { secret } }`,
		map[string]any{"s": scopes})
	secret, _ := dig(r.Data, "createApiToken", "secret").(string)
	if secret == "" {
		c.t.Fatalf("createApiToken: %s", r.raw)
	}
	return secret
}

// bot returns a client of the same portal that authenticates with a new
// API token of c's account with scopes.
func (c *client) bot(scopes ...string) *client {
	c.t.Helper()
	b := newClient(c.t, c.base)
	b.gc.SetBearerToken(c.token(scopes...))
	return b
}

// TestChangePassword: the signed-in clerk changes her password with the
// current one; a wrong current password, a short or unchanged new one and
// an API token are refused; afterwards the old password no longer signs
// in, the new one does, her other browser sessions have ended while the
// one that changed it and her API token live on.
func TestChangePassword(t *testing.T) {
	_, p := startPortal(t, server.Config{})
	const id = "stmarys/clerk"
	old := p.DevAccounts[id]
	const pw = "a much longer passphrase"
	c1, c2 := as(t, p, id), as(t, p, id)
	bot := c1.bot("read", "write")

	for _, tc := range []struct {
		c          *client
		cur, next  string
		code, want string
	}{
		{c1, "not the password", pw, "FORBIDDEN", "the current password is wrong"},
		{c1, old, "short", "BAD_USER_INPUT", "a password has 12 to 1024 bytes"},
		{c1, old, old, "BAD_USER_INPUT", "must differ"},
		{bot, old, pw, "FORBIDDEN", "browser session"},
		{newClient(t, p.URL), old, pw, "UNAUTHENTICATED", ""},
	} {
		r := tc.c.do(changePwDoc, map[string]any{"c": tc.cur, "n": tc.next})
		if r.code() != tc.code || tc.want != "" && !bytes.Contains([]byte(r.Errors[0].Message), []byte(tc.want)) {
			t.Fatalf("change %q -> %q: %s", tc.cur, tc.next, r.raw)
		}
	}
	if c2.sessionStatus() != http.StatusOK {
		t.Fatal("a refused change ended a session")
	}
	r := c1.do(changePwDoc, map[string]any{"c": old, "n": pw})
	if len(r.Errors) != 0 || dig(r.Data, "changePassword", "endedSessions") != 1.0 {
		t.Fatalf("change: %s", r.raw)
	}
	if s := c2.sessionStatus(); s != http.StatusUnauthorized {
		t.Fatalf("the other session after the change: %d", s)
	}
	if r := c2.do(`mutation { revokeApiToken(id: "x") }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("the other session's mutation: %s", r.raw)
	}
	if c1.sessionStatus() != http.StatusOK {
		t.Fatal("the session that changed the password ended")
	}
	if r := bot.do(`{ viewer { account } }`, nil); dig(r.Data, "viewer", "account") != id {
		t.Fatalf("API token after the change: %s", r.raw)
	}
	if s := newClient(t, p.URL).loginStatus(id, old); s != http.StatusUnauthorized {
		t.Fatalf("old password: %d", s)
	}
	if s := newClient(t, p.URL).loginStatus(id, pw); s != http.StatusOK {
		t.Fatalf("new password: %d", s)
	}
}

const createMemberDoc = `mutation($id: ID!, $roles: [String!]!) { createMember(id: $id, roles: $roles) {
	id initialPassword member { id roles organisation { id } } transaction { status receipt { status error } } } }`

// TestCreateMember: St Mary's admin creates a records clerk through the
// portal: the member is on the ledger with the roles, has an account whose
// initial password (returned once) signs in, and acts with keys the portal
// generated (a signed consent request succeeds). A role the ledger refuses
// gives a FAILED receipt and no account, and the same id works afterwards;
// non-admins, another organisation's admin, API tokens, a taken id and a
// malformed id are refused.
func TestCreateMember(t *testing.T) {
	_, p := startPortal(t, server.Config{})
	admin := as(t, p, "stmarys/admin")
	create := func(c *client, id string, roles ...string) *gqlResult {
		t.Helper()
		return c.do(createMemberDoc, map[string]any{"id": id, "roles": roles})
	}

	// The ledger refuses an insurer's role at a hospital: no account.
	r := create(admin, "stmarys/nurse-1", "claims_adjuster")
	if len(r.Errors) != 0 || dig(r.Data, "createMember", "transaction", "receipt", "status") != "FAILED" ||
		dig(r.Data, "createMember", "initialPassword") != nil || dig(r.Data, "createMember", "member") != nil {
		t.Fatalf("refused role: %s", r.raw)
	}
	if s := newClient(t, p.URL).loginStatus("stmarys/nurse-1", "anything at all"); s != http.StatusUnauthorized {
		t.Fatalf("an account after a refused creation: %d", s)
	}

	r = create(admin, "stmarys/nurse-1", "records_clerk")
	pw, _ := dig(r.Data, "createMember", "initialPassword").(string)
	roles, _ := dig(r.Data, "createMember", "member", "roles").([]any)
	if len(r.Errors) != 0 || len(pw) < 12 || !slices.Equal(roles, []any{"records_clerk"}) ||
		dig(r.Data, "createMember", "transaction", "receipt", "status") != "OK" || dig(r.Data, "createMember", "member", "organisation", "id") != "stmarys" {
		t.Fatalf("create: %s", r.raw)
	}
	nurse := newClient(t, p.URL)
	if s := nurse.loginStatus("stmarys/nurse-1", pw); s != http.StatusOK {
		t.Fatalf("the new member's sign-in: %d", s)
	}
	// An initial password set by the admin allows nothing but changing it.
	consentVars := map[string]any{"id": "con-nurse", "p": "treatment", "c": []string{"lab"},
		"s": time.Now().UTC().Format(time.RFC3339), "e": time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)}
	if r := nurse.do(requestDoc, consentVars); r.code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "change your initial password") {
		t.Fatalf("acting before changing the initial password: %s", r.raw)
	}
	if r := nurse.do(`mutation { createApiToken(name: "x", scopes: ["read"], ttlHours: 1) { secret } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("a token before changing the initial password: %s", r.raw)
	}
	nurse.changePassword(pw, "a much better secret 42")
	// The portal signs for the new member with the keys it generated.
	nurse.ok("requestConsent", requestDoc, consentVars)

	bot := admin.bot("read", "write")
	for _, tc := range []struct {
		c    *client
		id   string
		code string
	}{
		{as(t, p, "stmarys/dr-lee"), "stmarys/nurse-2", "FORBIDDEN"},
		{as(t, p, "acme/admin"), "stmarys/nurse-2", "FORBIDDEN"},
		{bot, "stmarys/nurse-2", "FORBIDDEN"},
		{admin, "stmarys/nurse-1", "CONFLICT"},
		{admin, "stmarys/dr-lee", "CONFLICT"},
		{admin, "stmarys/Nurse Two", "BAD_USER_INPUT"},
		{admin, "nurse-2", "BAD_USER_INPUT"},
		{newClient(t, p.URL), "stmarys/nurse-2", "UNAUTHENTICATED"},
	} {
		if r := create(tc.c, tc.id, "records_clerk"); r.code() != tc.code {
			t.Fatalf("%s: want %s: %s", tc.id, tc.code, r.raw)
		}
	}
	if r := create(admin, "stmarys/nurse-2"); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("no roles: %s", r.raw)
	}
}
