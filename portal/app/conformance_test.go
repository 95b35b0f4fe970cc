package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/server"
)

var (
	npmOnce sync.Once
	npmErr  error
)

// jsDeps returns the folder of the JavaScript conformance scripts with
// their npm dependencies installed (npm ci from the committed lock file),
// skipping the test only when node or npm is not installed.
func jsDeps(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: skipping the JavaScript conformance test (.ci/run installs nodejs and npm)", tool)
		}
	}
	dir, err := filepath.Abs("../testdata/js")
	if err != nil {
		t.Fatal(err)
	}
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-http", "package.json")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = errors.New("npm ci: " + err.Error() + "\n" + string(out))
		}
	})
	if npmErr != nil {
		t.Fatal(npmErr)
	}
	return dir
}

// TestGraphQLHTTPAudits runs graphql-http's serverAudits against the live
// /graphql: every MUST passes; SHOULD and MAY results are logged.
func TestGraphQLHTTPAudits(t *testing.T) {
	dir := jsDeps(t)
	_, p := startPortal(t, server.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "audit.mjs", p.URL+"/graphql")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("audit: %v\n%s", err, stderr.String())
	}
	var n, failed int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct{ ID, Name, Status, Reason string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit output %q: %v", sc.Text(), err)
		}
		n++
		switch {
		case r.Status == "ok":
		case strings.HasPrefix(r.Name, "MUST"):
			failed++
			t.Errorf("MUST audit %s failed: %s: %s", r.ID, r.Name, r.Reason)
		default:
			t.Logf("%s audit %s not met: %s: %s", r.Status, r.ID, r.Name, r.Reason)
		}
	}
	if n < 40 {
		t.Fatalf("only %d audits ran", n)
	}
	t.Logf("%d audits ran, %d MUST failures", n, failed)
}

// TestGraphQLWSClient subscribes to newBlocks with the graphql-ws client
// library and receives blocks made by committed transactions.
func TestGraphQLWSClient(t *testing.T) {
	dir := jsDeps(t)
	n, p := startPortal(t, server.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "ws-client.mjs", "ws"+strings.TrimPrefix(p.URL, "http")+"/graphql", "2")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	for i := 0; i < 200; i++ {
		n.Send(t, "hope/admin", "identity", "set_roles", tx.String("id", "hope/officer"), tx.Strings("roles", []string{"charity_officer"}))
		select {
		case err = <-done:
			goto finished
		case <-time.After(200 * time.Millisecond):
		}
	}
	err = <-done
finished:
	if err != nil {
		t.Fatalf("graphql-ws client: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var heights int
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var b struct{ Height *int }
		if json.Unmarshal([]byte(line), &b) == nil && b.Height != nil {
			heights++
		}
	}
	if heights != 2 {
		t.Fatalf("got %d blocks: %s", heights, stdout.String())
	}
}

func wsDial(t *testing.T, base string, header map[string][]string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 10 * time.Second}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/graphql", header)
	if err != nil {
		t.Fatalf("dial: %v %v", err, resp)
	}
	if c.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	return c
}

// wsOpen dials the portal at base over graphql-transport-ws (closed when
// the test ends), sends connection_init with payload (a JSON object; none
// when empty) and requires the ack.
func wsOpen(t *testing.T, base string, header map[string][]string, payload string) *websocket.Conn {
	t.Helper()
	ws := wsDial(t, base, header)
	t.Cleanup(func() { ws.Close() })
	init := `{"type":"connection_init"}`
	if payload != "" {
		init = `{"type":"connection_init","payload":` + payload + `}`
	}
	wsSend(t, ws, init)
	if m := wsRead(t, ws); m["type"] != "connection_ack" {
		t.Fatalf("ack: %v", m)
	}
	return ws
}

// bearerPayload is a connection_init payload that authenticates with an
// API token's secret.
func bearerPayload(secret string) string { return `{"authorization":"Bearer ` + secret + `"}` }

// wsAs opens a graphql-transport-ws connection as c's account, with a new
// read-only API token.
func wsAs(t *testing.T, c *client) *websocket.Conn {
	t.Helper()
	return wsOpen(t, c.base, nil, bearerPayload(c.token("read")))
}

// wsSubscribe starts subscription id with query and vars (none when nil).
func wsSubscribe(t *testing.T, ws *websocket.Conn, id, query string, vars map[string]any) {
	t.Helper()
	payload := map[string]any{"query": query}
	if vars != nil {
		payload["variables"] = vars
	}
	sub, err := json.Marshal(map[string]any{"type": "subscribe", "id": id, "payload": payload})
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, ws, string(sub))
}

func wsSend(t *testing.T, c *websocket.Conn, m string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
		t.Fatal(err)
	}
}

func wsRead(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func wsCloseCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			t.Fatalf("want a close frame, got %v", err)
		}
	}
}

// TestSubscriptionProtocol drives graphql-transport-ws by hand: the close
// codes for protocol violations, ping/pong, a query over the socket, and
// a newBlocks subscription receiving a new block.
func TestSubscriptionProtocol(t *testing.T) {
	n, p := startPortal(t, server.Config{})

	c := wsDial(t, p.URL, nil)
	wsSend(t, c, `{"type":"subscribe","id":"1","payload":{"query":"subscription { newBlocks { height } }"}}`)
	if code := wsCloseCode(t, c); code != 4401 {
		t.Fatalf("subscribe before init: close %d", code)
	}
	c = wsDial(t, p.URL, nil)
	wsSend(t, c, `{"type":"connection_init"}`)
	if m := wsRead(t, c); m["type"] != "connection_ack" {
		t.Fatalf("ack: %v", m)
	}
	wsSend(t, c, `{"type":"connection_init"}`)
	if code := wsCloseCode(t, c); code != 4429 {
		t.Fatalf("second init: close %d", code)
	}
	c = wsDial(t, p.URL, nil)
	wsSend(t, c, `{"type":"connection_init","payload":{"authorization":"Bearer alm_0000000000000000_nope"}}`)
	if code := wsCloseCode(t, c); code != 4403 {
		t.Fatalf("bad token at init: close %d", code)
	}
	c = wsDial(t, p.URL, nil)
	wsSend(t, c, `{"type":"what"}`)
	if code := wsCloseCode(t, c); code != 4400 {
		t.Fatalf("bad message: close %d", code)
	}

	c = wsDial(t, p.URL, nil)
	defer c.Close()
	wsSend(t, c, `{"type":"connection_init","payload":{}}`)
	wsRead(t, c)
	wsSend(t, c, `{"type":"ping"}`)
	if m := wsRead(t, c); m["type"] != "pong" {
		t.Fatalf("pong: %v", m)
	}
	wsSend(t, c, `{"type":"subscribe","id":"q","payload":{"query":"{ organisations { id } }"}}`)
	if m := wsRead(t, c); m["type"] != "next" || m["id"] != "q" {
		t.Fatalf("query next: %v", m)
	}
	if m := wsRead(t, c); m["type"] != "complete" || m["id"] != "q" {
		t.Fatalf("query complete: %v", m)
	}
	wsSend(t, c, `{"type":"subscribe","id":"bad","payload":{"query":"subscription { nope }"}}`)
	if m := wsRead(t, c); m["type"] != "error" || m["id"] != "bad" {
		t.Fatalf("invalid subscription: %v", m)
	}
	wsSend(t, c, `{"type":"subscribe","id":"s","payload":{"query":"subscription { newBlocks { height transactionCount } }"}}`)
	// The subscription starts asynchronously: send until a block arrives.
	got := make(chan map[string]any, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
		_, b, err := c.ReadMessage()
		var m map[string]any
		if err == nil {
			_ = json.Unmarshal(b, &m)
		}
		got <- m
	}()
	var m map[string]any
	for i := 0; i < 100 && m == nil; i++ {
		n.Send(t, "acme/admin", "identity", "set_roles", tx.String("id", "acme/adjuster"), tx.Strings("roles", []string{"claims_adjuster"}))
		select {
		case m = <-got:
		case <-time.After(100 * time.Millisecond):
		}
	}
	if m == nil {
		m = <-got
	}
	if m["type"] != "next" || m["id"] != "s" || dig(m, "payload", "data", "newBlocks", "height") == nil {
		t.Fatalf("newBlocks: %v", m)
	}
	wsSend(t, c, `{"type":"subscribe","id":"s","payload":{"query":"subscription { newBlocks { height } }"}}`)
	if code := wsCloseCode(t, c); code != 4409 {
		t.Fatalf("duplicate id: close %d", code)
	}
}
