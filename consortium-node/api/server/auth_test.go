package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// TestAuthentication checks who reads what through the node API:
// anonymous callers get status, genesis and metrics only; blocks, the
// stream and every proof go to nodes and to members the policy allows
// chain/follow (organisation admins, auditors, consortium admins); other
// members read the proofs of their own transactions; bad, stale, unknown
// and revoked signatures are refused alike, without saying which.
func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	own := f.commit(f.signBody(tx.Body{Sender: "hope/donor-sam", Call: tx.Call{Contract: identity.Name, Method: "rotate_keys",
		Args: tx.Args{tx.String("id", "hope/donor-sam"), tx.String("sign_key", f.keys["hope/donor-sam"].Public().String())}}}))
	other := f.commit(f.goodTx())
	get := func(path, as string, key *sign.PrivateKey, at time.Time) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(f.ctx(), http.MethodGet, f.srv.URL+path, nil)
		if as != "" {
			req.Header.Set(api.AuthHeader, api.AuthValue(as, key, http.MethodGet, req.URL.RequestURI(), at, nil))
		}
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	now := time.Now()
	node := f.g.Nodes[0].ID
	for _, tc := range []struct {
		path, as string
		key      *sign.PrivateKey
		at       time.Time
		want     int
	}{
		{"/v1/status", "", nil, now, 200},
		{"/v1/genesis", "", nil, now, 200},
		{"/v1/blocks/latest", "", nil, now, 401},
		{"/v1/stream?from=1", "", nil, now, 401},
		{"/v1/txs/" + own.ID.String(), "", nil, now, 401},
		{"/v1/nodes", "", nil, now, 401},
		{"/v1/policy", "", nil, now, 401},
		{"/v1/keys/expiring", "", nil, now, 401},
		{"/v1/blocks/latest", node, f.keys[node], now, 200},
		{"/v1/blocks/latest", "stmarys/admin", f.keys["stmarys/admin"], now, 200},
		{"/v1/blocks/latest", "healthreg/auditor", f.keys["healthreg/auditor"], now, 200},
		{"/v1/blocks/latest", "hope/donor-sam", f.keys["hope/donor-sam"], now, 403},
		{"/v1/blocks/latest", "stmarys/dr-lee", f.keys["stmarys/dr-lee"], now, 403},
		{"/v1/txs/" + own.ID.String(), "hope/donor-sam", f.keys["hope/donor-sam"], now, 200},
		{"/v1/txs/" + other.ID.String(), "hope/donor-sam", f.keys["hope/donor-sam"], now, 403},
		{"/v1/txs/" + other.ID.String(), "healthreg/auditor", f.keys["healthreg/auditor"], now, 200},
		{"/v1/policy", "hope/donor-sam", f.keys["hope/donor-sam"], now, 200},
		// Someone else's key, an unknown id, a stale or future time.
		{"/v1/blocks/latest", "stmarys/admin", f.keys["acme/admin"], now, 401},
		{"/v1/blocks/latest", "nobody/at-all", f.keys["acme/admin"], now, 401},
		{"/v1/blocks/latest", "stmarys/admin", f.keys["stmarys/admin"], now.Add(-10 * time.Minute), 401},
		{"/v1/blocks/latest", "stmarys/admin", f.keys["stmarys/admin"], now.Add(10 * time.Minute), 401},
	} {
		if got, body := get(tc.path, tc.as, tc.key, tc.at); got != tc.want {
			t.Errorf("GET %s as %q at %v: %d %s; want %d", tc.path, tc.as, tc.at.Sub(now).Round(time.Minute), got, body, tc.want)
		}
	}
	// A signature over another path does not carry over.
	req, _ := http.NewRequestWithContext(f.ctx(), http.MethodGet, f.srv.URL+"/v1/blocks/1", nil)
	req.Header.Set(api.AuthHeader, api.AuthValue("stmarys/admin", f.keys["stmarys/admin"], http.MethodGet, "/v1/blocks/2", now, nil))
	if resp, err := f.srv.Client().Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("signature for another path: %v %v", resp.StatusCode, err)
	}
	// The same refusal for an unknown id and a bad signature.
	_, unknown := get("/v1/blocks/latest", "nobody/at-all", f.keys["acme/admin"], now)
	_, bad := get("/v1/blocks/latest", "stmarys/admin", f.keys["acme/admin"], now)
	if unknown != bad {
		t.Fatalf("refusals differ, revealing which ids exist:\n%s\n%s", unknown, bad)
	}
	// A revoked member is refused from the next block on.
	f.commit(f.signBody(tx.Body{Sender: "healthreg/admin", Call: tx.Call{Contract: identity.Name, Method: "revoke_member",
		Args: tx.Args{tx.String("id", "healthreg/auditor")}}}))
	if got, body := get("/v1/blocks/latest", "healthreg/auditor", f.keys["healthreg/auditor"], time.Now()); got != 401 {
		t.Fatalf("revoked auditor: %d %s", got, body)
	}
}
