package app_test

import (
	"testing"

	"github.com/almoner/almoner/portal/server"
)

// TestWebSocketsEndWithTheirSession: a WebSocket keeps its identity from
// the moment it opened, so the portal checks that identity while it lives:
// the socket of a session ended by a password change elsewhere, and the
// socket of a revoked API token, are closed (4401).
func TestWebSocketsEndWithTheirSession(t *testing.T) {
	_, p := startPortal(t, server.Config{WSAliveEvery: 50 * 1e6})
	const who = "stmarys/patient-ana"
	a, b := newClient(t, p.URL), newClient(t, p.URL)
	a.login(who, p.DevAccounts[who])
	b.login(who, p.DevAccounts[who])
	var cookie string
	for _, c := range a.gc.Cookies() {
		cookie += c.Name + "=" + c.Value + "; "
	}
	sub := `{"type":"subscribe","id":"1","payload":{"query":"subscription { newBlocks { height } }"}}`
	open := func(header map[string][]string, payload string) func() int {
		ws := wsOpen(t, p.URL, header, payload)
		wsSend(t, ws, sub)
		return func() int { return wsCloseCode(t, ws) }
	}
	byCookie := open(map[string][]string{"Cookie": {cookie}, "Origin": {p.URL}}, "")
	tok := b.do(`mutation { createApiToken(name: "ws", scopes: ["read"], ttlHours: 1) { secret apiToken { id } } }`, nil)
	byToken := open(nil, bearerPayload(dig(tok.Data, "createApiToken", "secret").(string)))

	if r := b.do(changePwDoc, map[string]any{"c": p.DevAccounts[who], "n": "a-new-long-passphrase"}); len(r.Errors) != 0 {
		t.Fatalf("changePassword: %s", r.raw)
	}
	if code := byCookie(); code != 4401 {
		t.Fatalf("the ended session's socket closed with %d", code)
	}
	if r := b.do(`mutation($id: ID!) { revokeApiToken(id: $id) }`, map[string]any{"id": dig(tok.Data, "createApiToken", "apiToken", "id")}); len(r.Errors) != 0 {
		t.Fatalf("revokeApiToken: %s", r.raw)
	}
	if code := byToken(); code != 4401 {
		t.Fatalf("the revoked token's socket closed with %d", code)
	}
}
