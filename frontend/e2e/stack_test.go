package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/nodetest"
	"github.com/almoner/almoner/consortium-node/seed"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/frontend"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/server"
	"github.com/almoner/almoner/portal/session"
)

// stack is a running node with the demo data and a portal serving the
// web app, shared by the package's tests.
type stack struct {
	dir      string // everything on disk, removed by close
	devHome  string // genesis.json and keys/
	genesis  *genesis.File
	node     *client.Client
	nt       *nodetest.Node // the node as nodetest's helpers see it (send)
	portal   *app.Portal
	faults   *nodeFaults // between the portal and its node
	url      string
	accounts map[string]string // demo account -> password
	closers  []func()
}

func (s *stack) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	os.RemoveAll(s.dir)
}

// startStack starts a one-node dev consortium, seeds it (a small demo:
// donors and gifts are fewer than make run's), and a portal on a free
// port with the web app and its demo accounts.
func startStack(ctx context.Context) (_ *stack, err error) {
	dir, err := os.MkdirTemp("", "almoner-e2e-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir, devHome: filepath.Join(dir, "dev")}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	g, err := devnet.Create(s.devHome, devnet.Options{Nodes: 1})
	if err != nil {
		return nil, err
	}
	s.genesis = g
	// The node keeps the demo records (stmarys is their custodian).
	log := slog.New(slog.DiscardHandler)
	n, err := nodetest.Run(nodetest.Config{Home: s.devHome, Genesis: g, NodeID: g.Nodes[0].ID,
		DataDir: filepath.Join(dir, "node"), Logger: log})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, n.Close)
	s.node = client.New(n.URL, nil)
	// The dev consortium admin may read the chain (the policy's chain/follow).
	if kf, err := genesis.LoadKeyFile(genesis.KeyPath(s.devHome, "stmarys/admin")); err == nil {
		if key, err := kf.SignKey(); err == nil {
			s.node.Authenticate("stmarys/admin", key)
		}
	}
	s.nt = &nodetest.Node{Home: s.devHome, Genesis: g, URL: n.URL, Client: s.node}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = nodetest.WaitLeader(wctx, s.node)
	cancel()
	if err != nil {
		return nil, err
	}
	if _, err := seed.Run(ctx, seed.Config{Home: s.devHome, Client: s.node, FHIRDir: fhirDir(), Donors: 8, Gifts: 40}); err != nil {
		return nil, fmt.Errorf("seeding the demo data: %w", err)
	}
	u, err := url.Parse(n.URL)
	if err != nil {
		return nil, err
	}
	s.faults = &nodeFaults{proxy: httputil.NewSingleHostReverseProxy(u)}
	s.faults.proxy.FlushInterval = -1 // the block stream the portal follows
	front := httptest.NewServer(s.faults)
	s.closers = append(s.closers, front.Close)
	var p *app.Portal
	sc := server.Config{
		Frontend: frontend.FS(), RatePerIP: 100000, RatePerUser: 100000, LoginRatePerIP: 1000,
		DevAccounts: func() ([]server.DevAccount, error) { return devAccountList(p, g), nil },
	}
	p, err = app.Start(ctx, app.Config{
		Node: front.URL, Listen: "127.0.0.1:0", Home: filepath.Join(dir, "portal"), DevHome: s.devHome, Logger: log,
		Argon2: session.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}, Server: sc,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the portal: %w", err)
	}
	s.closers = append(s.closers, func() { p.Close() })
	s.portal, s.url, s.accounts = p, p.URL, p.DevAccounts
	return s, waitHealthy(ctx, s.url)
}

// nodeFaults stands between the portal and its node as a network does: a
// test can make the node's note endpoint unreachable (a custodian that
// cannot be reached) while everything else still answers.
type nodeFaults struct {
	notesDown atomic.Bool
	proxy     *httputil.ReverseProxy
}

func (f *nodeFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.notesDown.Load() && r.URL.Path == "/v1/private/notes" {
		http.Error(w, "the custodian's node cannot be reached", http.StatusServiceUnavailable)
		return
	}
	f.proxy.ServeHTTP(w, r)
}

// fhirDir is the shared FHIR bundles folder (../../../shared/fhir from
// here, or $ALMONER_FHIR_DIR); seed makes stand-ins when it is missing.
func fhirDir() string {
	if d := os.Getenv("ALMONER_FHIR_DIR"); d != "" {
		return d
	}
	d, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fhir"))
	return d
}

func devAccountList(p *app.Portal, g *genesis.File) []server.DevAccount {
	if p == nil {
		return nil
	}
	roles := map[string][]string{}
	for _, m := range g.Members {
		roles[m.ID] = m.Roles
	}
	var out []server.DevAccount
	for id, pw := range p.DevAccounts {
		out = append(out, server.DevAccount{Account: id, Password: pw, Roles: roles[id]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

func waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		r, err := http.DefaultClient.Do(req)
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(r.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("portal not healthy after 30s: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// send signs a call as a dev member with its key file, submits it to the
// node and waits for the commit (nodetest.Node.Send); the test fails
// unless it succeeded.
func (s *stack) send(t *testing.T, member, contract, method string, args ...tx.Arg) {
	t.Helper()
	res := s.nt.Send(t, member, contract, method, args...)
	if res.Receipt != nil && !res.Receipt.OK() {
		t.Fatalf("%s.%s by %s failed: %s", contract, method, member, res.Receipt.Error)
	}
}

// get fetches a path of the portal, failing the test if it cannot; with
// acceptEncoding the request says it, and the body comes as sent (Go's
// client decodes gzip itself only when it asked for it).
func (s *stack) get(t *testing.T, path, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return r, b
}
