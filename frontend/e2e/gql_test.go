package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/almoner/almoner/graphql/gqlclient"
)

// gqlClient is a signed-in GraphQL client of the portal, for the steps of
// a journey that other roles take while the browser watches.
type gqlClient struct {
	t  *testing.T
	gc *gqlclient.Client
}

func (s *stack) client(t *testing.T, account string) *gqlClient {
	t.Helper()
	gc, err := gqlclient.New(gqlclient.Config{URL: s.url, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gc.SignIn(context.Background(), account, s.accounts[account]); err != nil {
		t.Fatalf("login %s: %v", account, err)
	}
	return &gqlClient{t: t, gc: gc}
}

// do runs a query or mutation and decodes its data into out; any GraphQL
// error fails the test.
func (c *gqlClient) do(query string, vars map[string]any, out any) {
	c.t.Helper()
	if err := c.gc.Run(context.Background(), query, vars, out); err != nil {
		c.t.Fatalf("%s: %v", query, err)
	}
}

// tx runs a mutation that returns a TxResult (selecting `id receipt { status error }`) with
// wait: true and fails the test unless it committed OK.
func (c *gqlClient) tx(mutation string, vars map[string]any) string {
	c.t.Helper()
	vars["wait"] = true
	var out map[string]struct {
		ID      string
		Receipt struct{ Status, Error string }
	}
	c.do(mutation, vars, &out)
	for _, r := range out {
		if r.Receipt.Status != "OK" {
			c.t.Fatalf("%s: receipt %s %s", mutation, r.Receipt.Status, r.Receipt.Error)
		}
		return r.ID
	}
	c.t.Fatalf("%s: no result", mutation)
	return ""
}
