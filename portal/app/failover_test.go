package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
)

// nodeProxy forwards TCP connections to the test node until it is killed:
// each one stands for one more node of the consortium (they all serve the
// same ledger). Killing it drops every connection and refuses new ones,
// as a node whose process died. It notes the from of every block stream
// opened through it.
type nodeProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	froms  []uint64
	wg     sync.WaitGroup
}

var streamFrom = regexp.MustCompile(`GET /v1/stream\?from=(\d+) `)

func startProxy(t *testing.T, addr, target string) *nodeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &nodeProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(p.kill)
	return p
}

func (p *nodeProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *nodeProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(up, c, true) })
		p.wg.Go(func() { p.pipe(c, up, false) })
	}
}

// pipe copies src to dst; requests (toNode) are scanned for streams.
func (p *nodeProxy) pipe(dst, src net.Conn, toNode bool) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if toNode {
				for _, m := range streamFrom.FindAllSubmatch(buf[:n], -1) {
					from, _ := strconv.ParseUint(string(m[1]), 10, 64)
					p.mu.Lock()
					p.froms = append(p.froms, from)
					p.mu.Unlock()
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *nodeProxy) streams() []uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.froms)
}

// kill refuses new connections and drops the open ones.
func (p *nodeProxy) kill() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// deadNodeAddr returns an address that refuses connections.
func deadNodeAddr() string {
	s := httptest.NewServer(nil)
	s.Close()
	return s.URL
}

// logRecorder keeps the messages of the records logged at warn or above.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l *logRecorder) WithGroup(string) slog.Handler                 { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	l.mu.Lock()
	l.msgs = append(l.msgs, b.String())
	l.mu.Unlock()
	return nil
}

func (l *logRecorder) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func startFailoverPortal(t *testing.T, n *testnode.Node, log *logRecorder, nodes ...string) *app.Portal {
	t.Helper()
	p, _ := runPortal(t, app.Config{Nodes: nodes, Home: t.TempDir(), DevHome: n.Home, Logger: slog.New(log),
		GenesisWait: 20 * time.Second})
	return p
}

const failoverSetRoles = `mutation($r: [String!]!) { setMemberRoles(member: "stmarys/dr-lee", roles: $r, wait: true) {
	status height } }`

// setRoles runs the mutation and returns its result.
func setRoles(admin *client, roles ...string) *gqlResult {
	return admin.do(failoverSetRoles, map[string]any{"r": roles})
}

func committedHeight(t *testing.T, r *gqlResult) uint64 {
	t.Helper()
	if r.Status != 200 || len(r.Errors) != 0 || dig(r.Data, "setMemberRoles", "status") != "COMMITTED" {
		t.Fatalf("mutation: %s", r.raw)
	}
	return uint64(dig(r.Data, "setMemberRoles", "height").(float64))
}

// TestPortalFailsOver gives the portal a dead address, then two live
// ones. It starts through the second; when that node dies, the next
// query and mutation succeed through the third without a restart, and
// the read model goes on from where it was (its stream resumes on the
// third node from the next height: no rebuild, no broken stream seen by
// the follower).
func TestPortalFailsOver(t *testing.T) {
	n := testnode.Start(t)
	target := strings.TrimPrefix(n.URL, "http://")
	a := startProxy(t, "127.0.0.1:0", target)
	b := startProxy(t, "127.0.0.1:0", target)
	log := &logRecorder{}
	p := startFailoverPortal(t, n, log, deadNodeAddr(), a.URL(), b.URL())
	admin := as(t, p, "stmarys/admin")
	admin.gc.SetOrigin(p.URL)
	h1 := committedHeight(t, setRoles(admin, "physician"))
	if len(a.streams()) == 0 || len(b.streams()) != 0 {
		t.Fatalf("block streams before the failover: through the second address %v, the third %v", a.streams(), b.streams())
	}
	applied, _ := p.Store.Applied()

	died := time.Now()
	a.kill()
	r := admin.do(`{ nodeStatus { height indexedHeight } }`, nil)
	queryAfter := time.Since(died)
	if r.Status != 200 || len(r.Errors) != 0 {
		t.Fatalf("the first query needing the node after it died: %s", r.raw)
	}
	h2 := committedHeight(t, setRoles(admin, "physician", "privacy_officer"))
	mutationAfter := time.Since(died)
	t.Logf("failover: the first query after the node died answered in %s, the first mutation committed "+
		"and was in the read model %s after the death",
		queryAfter.Round(time.Microsecond), mutationAfter.Round(time.Millisecond))
	if h2 <= h1 {
		t.Fatalf("mutation after the failover committed at %d, before %d", h2, h1)
	}
	if got, ok := p.Store.Applied(); !ok || got < h2 {
		t.Fatalf("the read model is at %d (%v), the mutation committed at %d: the follower did not resume", got, ok, h2)
	}
	r = admin.do(`{ member(id: "stmarys/dr-lee") { roles } }`, nil)
	if roles := dig(r.Data, "member", "roles"); !slices.Equal(roles.([]any), []any{"physician", "privacy_officer"}) {
		t.Fatalf("roles in the read model after the failover: %s", r.raw)
	}
	// The stream resumed on the third node from the next height, inside
	// the client: the follower never saw it break and rebuilt nothing.
	froms := b.streams()
	if len(froms) != 1 || froms[0] == 0 || froms[0] > applied+1 {
		t.Fatalf("streams on the third node from %v; want one, from at most %d and not 0", froms, applied+1)
	}
	if k := log.count("block stream broke"); k != 0 {
		t.Fatalf("the follower saw its stream break %d times", k)
	}
	if k := log.count("failing over"); k == 0 {
		t.Fatalf("no failover logged: %q", log.msgs)
	}
}

// TestPortalAllNodesDead: with every node dead, a mutation and a query
// needing the node answer UNAVAILABLE with a hint to retry, never
// INTERNAL; once a node is back the portal works again, not restarted.
func TestPortalAllNodesDead(t *testing.T) {
	n := testnode.Start(t)
	target := strings.TrimPrefix(n.URL, "http://")
	a := startProxy(t, "127.0.0.1:0", target)
	b := startProxy(t, "127.0.0.1:0", target)
	p := startFailoverPortal(t, n, &logRecorder{}, a.URL(), b.URL())
	admin := as(t, p, "stmarys/admin")
	admin.gc.SetOrigin(p.URL)
	committedHeight(t, setRoles(admin, "physician"))

	a.kill()
	b.kill()
	mutation := setRoles(admin, "physician", "privacy_officer")
	for _, r := range []*gqlResult{mutation, admin.do(`{ nodeStatus { height } }`, nil)} {
		if r.code() != "UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "try again") {
			t.Fatalf("with every node dead: %s; want UNAVAILABLE with a hint to try again", r.raw)
		}
	}

	revived := time.Now()
	startProxy(t, strings.TrimPrefix(b.URL(), "http://"), target)
	committedHeight(t, setRoles(admin, "physician", "privacy_officer"))
	t.Logf("a node back: the next mutation committed %s later", time.Since(revived).Round(time.Millisecond))
	// The follower reconnects by itself (after its back-off) and catches up.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := admin.do(`{ member(id: "stmarys/dr-lee") { roles } }`, nil)
		if roles, _ := dig(r.Data, "member", "roles").([]any); len(roles) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read model did not catch up after a node came back: %s", r.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
