package e2e_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"
)

// gqlClient is a signed-in GraphQL client of the portal, for the steps of
// a journey that other roles take while the browser watches.
type gqlClient struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func (s *stack) client(t *testing.T, account string) *gqlClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &gqlClient{t: t, base: s.url, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	b, _ := json.Marshal(map[string]string{"account": account, "password": s.accounts[account]})
	r, err := c.hc.Post(c.base+"/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var out struct{ CSRFToken string }
	if err := json.NewDecoder(r.Body).Decode(&out); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %d %v", account, r.StatusCode, err)
	}
	c.csrf = out.CSRFToken
	return c
}

// do runs a query or mutation and decodes its data into out; any GraphQL
// error, or a failed transaction receipt, fails the test.
func (c *gqlClient) do(query string, vars map[string]any, out any) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	r, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer r.Body.Close()
	var body struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		c.t.Fatal(err)
	}
	if len(body.Errors) > 0 {
		c.t.Fatalf("%s: %s", query, body.Errors[0].Message)
	}
	if out != nil {
		if err := json.Unmarshal(body.Data, out); err != nil {
			c.t.Fatal(err)
		}
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
