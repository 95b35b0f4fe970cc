package client_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/privacy/sign"
)

// TestTLSPinsNodeKeys: a node API over TLS is trusted when its
// certificate carries one of the consortium's node keys, and refused
// otherwise (another key, or a CA-issued certificate for the host).
func TestTLSPinsNodeKeys(t *testing.T) {
	key, err := sign.GenerateKey(sign.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := sign.GenerateKey(sign.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := transport.Certificate("stmarys-node1", key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"chain_id":"c"}`)
	}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	trusted := client.NewNodeKeys(map[string]sign.PublicKey{"stmarys-node1": key.Public()})
	if _, err := client.New(srv.URL, client.HTTPClient(trusted)).Status(context.Background()); err != nil {
		t.Fatalf("a trusted node key: %v", err)
	}
	wrong := client.NewNodeKeys(map[string]sign.PublicKey{"acme-node2": other.Public()})
	if _, err := client.New(srv.URL, client.HTTPClient(wrong)).Status(context.Background()); !errors.Is(err, client.ErrUntrustedNode) {
		t.Fatalf("an untrusted node key: %v", err)
	}
	// Trust follows the consortium: a key added later is trusted at once.
	wrong.Add(map[string]sign.PublicKey{"stmarys-node1": key.Public()})
	if _, err := client.New(srv.URL, client.HTTPClient(wrong)).Status(context.Background()); err != nil {
		t.Fatalf("after adding the node's key: %v", err)
	}
	// httptest's own CA-issued certificate is not a node key.
	ca := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ca.Config.ErrorLog = log.New(io.Discard, "", 0)
	defer ca.Close()
	if _, err := client.New(ca.URL, client.HTTPClient(trusted)).Status(context.Background()); err == nil {
		t.Fatal("a server with a CA certificate but no node key was trusted")
	}
}
