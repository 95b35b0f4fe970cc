package schema

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/session"
)

// askedPolicy records every question it is asked and answers allow.
type askedPolicy struct {
	mu    sync.Mutex
	asked []string
	allow bool
}

func (p *askedPolicy) Allowed(member, obj, act, owner, org string, consent bool) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, strings.Join([]string{member, obj, act, owner, org}, " "))
	return p.allow, nil
}

// recordingNode counts submissions and answers each with submit.
type recordingNode struct {
	hashNode
	mu        sync.Mutex
	submitted []*tx.Signed
	answer    api.TxStatus
	err       error
}

func (n *recordingNode) Status(context.Context) (*api.Status, error) {
	return &api.Status{Height: 1}, nil
}

func (n *recordingNode) SubmitTx(_ context.Context, s *tx.Signed, _ client.SubmitOptions) (api.TxStatus, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.submitted = append(n.submitted, s)
	return n.answer, n.err
}

// countingSigner signs (with no real key: the node here checks nothing)
// and counts what it signed.
type countingSigner struct {
	mu     sync.Mutex
	signed []tx.Body
}

func (s *countingSigner) Sign(b tx.Body) (*tx.Signed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signed = append(s.signed, b)
	return &tx.Signed{Body: b}, nil
}

// widgets is a module with transaction mutations defined by TxMutation:
// touch acts on a widget of its owner held by acme; unasked names no
// resource and does not say why.
type widgets struct{ staged *int }

func (widgets) Name() string { return "widgets" }

func (w widgets) Register(b *Builder) error {
	err := b.TxMutation(TxMutation{Name: "touch", Object: "widget", Action: "touch", Description: "widget.touch",
		Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}},
		Plan: func(_ context.Context, account string, in map[string]any) (*TxPlan, error) {
			id := in["id"].(string)
			if id == "bad" {
				return nil, BadInput("id must not be bad")
			}
			return &TxPlan{Call: Call{Contract: "widget", Method: "touch", Args: []tx.Arg{tx.String("id", id)}},
				On: []Resource{{Owner: account, Org: "acme"}},
				Stage: func(context.Context, *Call) (any, error) {
					*w.staged++
					return nil, nil
				}}, nil
		}})
	if err != nil {
		return err
	}
	return b.TxMutation(TxMutation{Name: "unasked", Object: "widget", Action: "touch",
		Plan: func(context.Context, string, map[string]any) (*TxPlan, error) {
			return &TxPlan{Call: Call{Contract: "widget", Method: "touch"}}, nil
		}})
}

// TestTxMutation: a mutation defined with TxMutation asks the policy, for
// the signed-in account, the question it declares about the resources its
// plan names, before anything is signed. A refusal is FORBIDDEN, says
// nothing was signed, and leaves nothing signed, staged or submitted;
// bad input, a read-only token, an anonymous caller and a plan that names
// no resource without saying why are refused before the policy is asked;
// an allowed call is signed and submitted once, and the node's refusal
// is answered by its reason.
func TestTxMutation(t *testing.T) {
	g, _, store, f, sessions := genesisReadModel(t)
	pol := &askedPolicy{}
	node := &recordingNode{}
	signer := &countingSigner{}
	staged := 0
	sch, err := Build(Config{ChainID: g.ChainID, Store: store, Blocks: f, Node: node, Signer: signer, Keys: noKeys{},
		Records: noRecords{}, Sessions: sessions, Policy: pol}, widgets{staged: &staged})
	if err != nil {
		t.Fatal(err)
	}
	if got := sch.TxMutations(); got["touch"] != [2]string{"widget", "touch"} || got["setMemberRoles"] != [2]string{"member", "set_roles"} {
		t.Fatalf("declared transaction mutations %v", got)
	}
	writer := &session.Principal{Account: "acme/adjuster", Via: "session", Scopes: []string{session.ScopeRead, session.ScopeWrite}}
	reader := &session.Principal{Account: "acme/adjuster", Via: "token", Scopes: []string{session.ScopeRead}}
	run := func(p *session.Principal, doc string) (string, string) {
		t.Helper()
		pr, err := sch.Prepare(doc, "", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		ctx := sch.WithRequest(context.Background(), p)
		r := sch.Execute(ctx, pr, nil)
		if errs := sch.Sanitize(ctx, r.Errors); len(errs) > 0 {
			code, _ := errs[0].Extensions["code"].(string)
			return code, errs[0].Message
		}
		return "", ""
	}
	nothingDone := func(what string) {
		t.Helper()
		if len(signer.signed) != 0 || len(node.submitted) != 0 || staged != 0 {
			t.Fatalf("%s: %d signed, %d submitted, %d staged; want none", what, len(signer.signed), len(node.submitted), staged)
		}
	}
	const touch = `mutation { touch(id: "w1") { id status } }`

	code, msg := run(writer, touch)
	want := []string{"acme/adjuster widget touch acme/adjuster acme"}
	if code != CodeForbidden || !strings.Contains(msg, "nothing was signed") || !slices.Equal(pol.asked, want) {
		t.Fatalf("refused: %s %q, asked %q", code, msg, pol.asked)
	}
	nothingDone("refused by the policy")

	pol.asked = nil
	for _, c := range []struct {
		name, doc, code string
		p               *session.Principal
	}{
		{"bad input", `mutation { touch(id: "bad") { id } }`, CodeBadUserInput, writer},
		{"read-only token", touch, CodeForbidden, reader},
		{"anonymous", touch, CodeUnauthenticated, nil},
		{"no resource, no reason", `mutation { unasked { id } }`, CodeInternal, writer},
	} {
		if code, msg := run(c.p, c.doc); code != c.code {
			t.Errorf("%s: %s %q, want %s", c.name, code, msg, c.code)
		}
		nothingDone(c.name)
	}
	if len(pol.asked) != 0 {
		t.Fatalf("the policy was asked %q before the request was valid", pol.asked)
	}

	pol.allow = true
	node.answer = api.TxStatus{Status: api.StatusPending}
	if code, msg := run(writer, touch); code != "" {
		t.Fatalf("allowed: %s %q", code, msg)
	}
	if len(signer.signed) != 1 || len(node.submitted) != 1 || staged != 1 {
		t.Fatalf("allowed: %d signed, %d submitted, %d staged; want 1 each", len(signer.signed), len(node.submitted), staged)
	}
	b := signer.signed[0]
	if id, _ := tx.Args(b.Call.Args).String("id"); b.Sender != "acme/adjuster" || b.Call.Contract != "widget" || b.Call.Method != "touch" ||
		id != "w1" || b.Expiry != 1+sch.Cfg.ExpiryBlocks {
		t.Fatalf("signed %+v", b)
	}

	node.answer, node.err = api.TxStatus{Status: api.StatusRejected, Reason: api.RefusedDuplicate, Error: "already committed"},
		errors.New("rejected")
	if code, _ := run(writer, touch); code != CodeConflict {
		t.Fatalf("a duplicate: %s, want %s", code, CodeConflict)
	}
}
